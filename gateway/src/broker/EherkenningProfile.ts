// Rule 6, the eHerkenning profile on the verified outer assertion: level, the machtiging
// (ServiceID + ServiceUUID), the pseudonym (ActingSubjectID) and the represented organisation
// (LegalSubjectID), and a vestiging restriction. Attribute names live in a Map, so names like
// `__proto__` are plain keys. Decryption is injected so this module stays about meaning.
import type { LegalSubject, LoaLevel } from './EherkenningIdentity.ts';
import { ATTR, LOA, LOA_RANK, NAMEID_FORMAT, NS } from './constants.ts';
import { reject } from './BrokerRejection.ts';
import { childrenNamed, elementChildren, isElement, textOf } from './Dom.ts';

/** Attribute name → its AttributeValue elements, from every AttributeStatement of the assertion. */
export function collectAttributes(assertion: Element): Map<string, Element[]> {
  const out = new Map<string, Element[]>();
  for (const statement of childrenNamed(assertion, NS.saml, 'AttributeStatement')) {
    for (const child of elementChildren(statement)) {
      if (isElement(child, NS.saml, 'EncryptedAttribute')) continue; // we request none; never read
      if (!isElement(child, NS.saml, 'Attribute')) reject('attribute-invalid', { element: child.localName });
      const name = child.getAttribute('Name');
      if (!name) reject('attribute-invalid', { why: 'Attribute without Name' });
      if (out.has(name!)) reject('attribute-duplicate', { name });
      const values = elementChildren(child);
      if (values.some((v) => !isElement(v, NS.saml, 'AttributeValue'))) reject('attribute-invalid', { name });
      out.set(name!, values);
    }
  }
  return out;
}

/** Plain string values of an attribute (element content is refused). */
export function stringValues(values: Element[] | undefined): string[] {
  return (values ?? []).map((v) => textOf(v, 'attribute-invalid'));
}

/** The level reached: loa3 or loa4 and at least the configured minimum. */
export function checkLevel(classRef: string | null, minimum: LoaLevel): LoaLevel {
  if (classRef === null || classRef === '') return reject('level-missing');
  const rank = LOA_RANK.get(classRef);
  if (rank === undefined) return reject('level-unknown', { classRef });
  if (classRef !== LOA.loa3 && classRef !== LOA.loa4) return reject('level-too-low', { classRef });
  if (rank < LOA_RANK.get(minimum)!) return reject('level-too-low', { classRef, minimum });
  return classRef;
}

const SERVICE_ID = /^urn:etoegang:DV:(\d{20}):services:(\d{1,9})$/;

/** ServiceIDs are equal when OIN and index are; leading zeros in the index are ignored. */
export function sameServiceId(a: string, b: string): boolean {
  const ma = SERVICE_ID.exec(a);
  const mb = SERVICE_ID.exec(b);
  return !!ma && !!mb && ma[1] === mb[1] && Number(ma[2]) === Number(mb[2]);
}

/** Exactly one ServiceID, equal to ours. */
export function checkServiceId(values: Element[] | undefined, configured: string): string {
  const v = stringValues(values);
  if (v.length === 0) return reject('service-id-missing');
  if (v.length > 1) return reject('service-id-multiple', { count: v.length });
  if (!sameServiceId(v[0]!, configured)) return reject('service-id-mismatch', { serviceId: v[0] });
  return configured;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Exactly one ServiceUUID, equal to ours (UUIDs compare case-insensitively). */
export function checkServiceUuid(values: Element[] | undefined, configured: string): string {
  const v = stringValues(values);
  if (v.length === 0) return reject('service-uuid-missing');
  if (v.length > 1) return reject('service-uuid-multiple', { count: v.length });
  if (!UUID.test(v[0]!) || v[0]!.toLowerCase() !== configured.toLowerCase()) {
    return reject('service-uuid-mismatch', { serviceUuid: v[0] });
  }
  return configured.toLowerCase();
}

/** The EncryptedID inside each AttributeValue; a plain value is refused (identifiers are always encrypted). */
export function encryptedIds(values: Element[] | undefined, code: 'acting-subject-invalid' | 'legal-subject-invalid'): Element[] {
  return (values ?? []).map((v) => {
    const kids = elementChildren(v);
    if (kids.length !== 1 || !isElement(kids[0], NS.saml, 'EncryptedID')) reject(code, { why: 'not an EncryptedID' });
    for (let c = v.firstChild; c; c = c.nextSibling) {
      if (c.nodeType === 3 && /[^ \t\r\n]/.test((c as Text).data)) reject(code, { why: 'text beside EncryptedID' });
    }
    return kids[0]!;
  });
}

function persistentNameId(nameId: Element, code: 'acting-subject-invalid' | 'legal-subject-invalid'): { qualifier: string; value: string } {
  if (nameId.getAttribute('Format') !== NAMEID_FORMAT.persistent) reject(code, { why: 'Format' });
  if (nameId.hasAttribute('SPNameQualifier') || nameId.hasAttribute('SPProvidedID')) reject(code, { why: 'SP qualifiers' });
  const qualifier = nameId.getAttribute('NameQualifier') ?? '';
  return { qualifier, value: textOf(nameId, code) };
}

const PSEUDONYM = /^[0-9A-Fa-f]{64}(@[0-9A-Fa-f]{32})?$/;

/** ActingSubjectID: persistent NameID, NameQualifier `…:EntityConcernedID:Pseudo`, 64 hex (+ @ 32 hex). */
export function readActingSubject(nameId: Element): string {
  const { qualifier, value } = persistentNameId(nameId, 'acting-subject-invalid');
  if (!/^urn:etoegang:[0-9.]+:EntityConcernedID:Pseudo$/.test(qualifier)) reject('acting-subject-invalid', { qualifier });
  if (!PSEUDONYM.test(value)) reject('acting-subject-invalid', { why: 'pseudonym shape' });
  return value;
}

const LEGAL = /^urn:etoegang:[0-9.]+:EntityConcernedID:(KvKnr|RSIN)$/;

/** One LegalSubjectID value: a KvKnr (8 digits) or an RSIN (9 digits). */
export function readLegalSubject(nameId: Element): LegalSubject {
  const { qualifier, value } = persistentNameId(nameId, 'legal-subject-invalid');
  const m = LEGAL.exec(qualifier);
  if (!m) return reject('legal-subject-invalid', { qualifier });
  const type = m[1] as LegalSubject['type'];
  if (!(type === 'KvKnr' ? /^\d{8}$/ : /^\d{9}$/).test(value)) reject('legal-subject-invalid', { type, why: 'shape' });
  return { type, value, qualifier };
}

/** All LegalSubjectID values; at least one, at most one per type. */
export function checkLegalSubjects(subjects: LegalSubject[]): LegalSubject[] {
  if (subjects.length === 0) reject('legal-subject-missing');
  const types = new Set(subjects.map((s) => s.type));
  if (types.size !== subjects.length) reject('legal-subject-invalid', { why: 'two values of one type' });
  return subjects;
}

/** Optional vestiging restriction: one value of 12 digits. */
export function readVestigingsnummer(values: Element[] | undefined): string | undefined {
  if (values === undefined) return undefined;
  const v = stringValues(values);
  if (v.length !== 1 || !/^\d{12}$/.test(v[0]!)) reject('vestigingsnummer-invalid');
  return v[0];
}

export interface ProfileInput {
  attributes: Map<string, Element[]>;
  classRef: string | null;
  minimumLevel: LoaLevel;
  serviceId: string;
  serviceUuid: string;
  decrypt: (encryptedId: Element) => Element;
}

export interface ProfileFacts {
  level: LoaLevel;
  serviceId: string;
  serviceUuid: string;
  pseudonym: string;
  legalSubjects: LegalSubject[];
  vestigingsnummer?: string;
}

/** The whole profile, cheapest checks first; decryption only once everything else holds. */
export function applyProfile(input: ProfileInput): ProfileFacts {
  const level = checkLevel(input.classRef, input.minimumLevel);
  const serviceId = checkServiceId(input.attributes.get(ATTR.serviceId), input.serviceId);
  const serviceUuid = checkServiceUuid(input.attributes.get(ATTR.serviceUuid), input.serviceUuid);
  const vestigingsnummer = readVestigingsnummer(input.attributes.get(ATTR.vestigingsnr));
  const acting = input.attributes.get(ATTR.actingSubjectId);
  if (!acting || acting.length === 0) reject('acting-subject-missing');
  if (acting!.length !== 1) reject('acting-subject-invalid', { why: 'several values' });
  const legal = input.attributes.get(ATTR.legalSubjectId);
  if (!legal || legal.length === 0) reject('legal-subject-missing');
  const actingIds = encryptedIds(acting, 'acting-subject-invalid');
  const legalIds = encryptedIds(legal, 'legal-subject-invalid');
  const pseudonym = readActingSubject(input.decrypt(actingIds[0]!));
  const legalSubjects: LegalSubject[] = [];
  for (const id of legalIds) legalSubjects.push(readLegalSubject(input.decrypt(id)));
  return {
    level,
    serviceId,
    serviceUuid,
    pseudonym,
    legalSubjects: checkLegalSubjects(legalSubjects),
    ...(vestigingsnummer ? { vestigingsnummer } : {}),
  };
}
