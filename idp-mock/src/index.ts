// Public API of the mock eHerkenning broker.
export {
  createIdpMock,
  DEFAULT_ENTITY_ID,
  PATHS,
  type IdpMock,
  type IdpMockOptions,
  type IssuedLogin,
  type LoginPreset,
  type RunningIdpMock,
  type StartOptions,
} from './idpMock.ts';
export {
  FAILURE_MODES,
  FAILURE_MODE_NAMES,
  isFailureMode,
  parseFailureModes,
  type FailureMode,
  type FailureModeInfo,
} from './failureModes.ts';
export { pseudonymFor, levelUrn, type Level, type Persona, type PersonaInput } from './personas.ts';
export { loadKeyFiles, type IdpMockKeys, type IdpMockKeyFiles } from './keys.ts';
export { makeArtifact, parseArtifact, sourceIdOf, ARTIFACT_TYPE_CODE } from './artifact.ts';
export { loadIdpMockConfig, optionsFromConfig, type IdpMockConfig } from './config.ts';
export type { CatalogueService } from './catalogue.ts';
export type { DvMetadataSourceOptions } from './dvMetadata.ts';
export type { IssuedContent } from './response.ts';
