// The mock broker's pages: plain, Dutch, accessible HTML. Every interpolated value is escaped
// by the `html` tag unless it is itself an Html fragment.
import { FAILURE_MODES, FAILURE_MODE_NAMES, type FailureMode, type FailureModeInfo } from './failureModes.ts';
import type { Persona } from './personas.ts';
import { LEVELS } from './personas.ts';

export class Html {
  constructor(readonly value: string) {}
  toString(): string {
    return this.value;
  }
}

function escHtml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

function render(v: unknown): string {
  if (v instanceof Html) return v.value;
  if (Array.isArray(v)) return v.map(render).join('');
  if (v === null || v === undefined || v === false) return '';
  return escHtml(String(v));
}

export function html(strings: TemplateStringsArray, ...values: unknown[]): Html {
  let out = strings[0] ?? '';
  values.forEach((v, i) => {
    out += render(v) + (strings[i + 1] ?? '');
  });
  return new Html(out);
}

const STYLE = `
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;color:#1b1b1b;background:#f3f3f3;line-height:1.5}
header{background:#154273;color:#fff;padding:1rem 1.5rem}
header p{margin:0;font-size:.9rem}
main{max-width:52rem;margin:1.5rem auto;background:#fff;padding:1.5rem 2rem;border-radius:4px}
h1{font-size:1.6rem;margin-top:0}
fieldset{border:1px solid #b4b4b4;border-radius:4px;margin:1rem 0;padding:.75rem 1rem}
legend{font-weight:600;padding:0 .25rem}
.choice{display:flex;gap:.5rem;align-items:flex-start;margin:.4rem 0}
.choice input{margin-top:.35rem}
.hint{color:#555;font-size:.9rem;display:block}
label.field{display:block;margin:.5rem 0 .1rem;font-weight:600}
input[type=text],select{font:inherit;padding:.3rem .4rem;border:1px solid #767676;border-radius:3px;min-width:16rem}
button{font:inherit;padding:.5rem 1.25rem;border-radius:4px;border:2px solid #154273;cursor:pointer;margin-right:.75rem}
button.primary{background:#154273;color:#fff}
button.secondary{background:#fff;color:#154273}
:focus-visible{outline:3px solid #ffb612;outline-offset:2px}
.error{border-left:5px solid #d52b1e;background:#fdecea;padding:.75rem 1rem;margin:1rem 0}
.notice{border-left:5px solid #154273;background:#e8eef5;padding:.75rem 1rem;margin:1rem 0}
code{background:#f0f0f0;padding:0 .2rem;border-radius:2px;word-break:break-all}
table{border-collapse:collapse;width:100%;font-size:.9rem}th,td{border:1px solid #ccc;padding:.3rem .5rem;text-align:left;vertical-align:top}
details{margin:1rem 0}summary{cursor:pointer;font-weight:600}
`;

export function page(title: string, body: Html): string {
  return html`<!doctype html>
<html lang="nl">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title} – Testmakelaar eHerkenning</title>
<style>${new Html(STYLE)}</style>
</head>
<body>
<header><p>Testmakelaar eHerkenning (mock) · alleen voor ontwikkeling en tests</p></header>
<main id="inhoud">
${body}
</main>
</body>
</html>`.value;
}

export function errorPage(code: string, message: string): string {
  return page(
    'Verzoek geweigerd',
    html`<h1>Het inlogverzoek is geweigerd</h1>
<div class="error" role="alert"><p>${message}</p><p>Foutcode: <code>${code}</code></p></div>
<p>De testmakelaar stuurt in dit geval niets terug naar de dienstverlener, net als een echte makelaar die een verzoek niet vertrouwt.</p>`,
  );
}

const GROUP_LABELS: Record<FailureModeInfo['group'], string> = {
  status: 'Antwoord zonder assertion (status)',
  content: 'Inhoud van de assertion',
  resolve: 'ArtifactResponse',
  signature: 'Handtekeningen',
  encryption: 'Ontvangers van de versleuteling',
  'content-encryption': 'Versleuteling van de inhoud (één kiezen; de laatste telt)',
  'key-transport': 'Sleuteltransport',
  artifact: 'Artifact',
};

const EXPECT_LABELS: Record<FailureModeInfo['expect'], string> = {
  accept: 'gateway moet accepteren',
  refuse: 'gateway moet weigeren',
  cancelled: 'gateway toont "geannuleerd"',
};

function personaSummary(p: Persona): string {
  const parts = [`${p.organisation} (KvK ${p.kvk}${p.rsin ? `, RSIN ${p.rsin}` : ''})`, p.level];
  if (p.vestigingsnummer) parts.push(`vestiging ${p.vestigingsnummer}${p.restrictedToVestiging ? ' (beperkt)' : ''}`);
  if (p.intermediary) parts.push(`via ${p.intermediary.name} (KvK ${p.intermediary.kvk})`);
  parts.push(p.machtiging ? 'met machtiging' : 'zonder machtiging');
  return parts.join(', ');
}

export interface PersonaPageInput {
  loginId: string;
  dvEntityId: string;
  serviceName: string;
  serviceId: string;
  serviceLevel: string;
  requestedLevels: string[];
  personas: readonly Persona[];
  selected?: {
    persona?: string;
    failures?: readonly FailureMode[];
    level?: string;
    machtiging?: boolean;
    custom?: Record<string, string>;
  };
  error?: string;
}

export function personaPage(input: PersonaPageInput): string {
  const sel = input.selected ?? {};
  const selectedPersona = sel.persona ?? input.personas[0]?.id;
  const failures = new Set(sel.failures ?? []);
  const custom = sel.custom ?? {};
  const groups = new Map<FailureModeInfo['group'], FailureMode[]>();
  for (const name of FAILURE_MODE_NAMES) {
    const g = FAILURE_MODES[name].group;
    groups.set(g, [...(groups.get(g) ?? []), name]);
  }
  const customField = (name: string, label: string, hint: string, pattern?: string) => html`
<label class="field" for="custom_${name}">${label}</label>
<span class="hint" id="custom_${name}_hint">${hint}</span>
<input type="text" id="custom_${name}" name="custom_${name}" aria-describedby="custom_${name}_hint" value="${custom[name] ?? ''}"${pattern ? new Html(` inputmode="numeric" pattern="${pattern}"`) : ''}>`;

  return page(
    'Kies een testpersoon',
    html`<h1>Inloggen met eHerkenning</h1>
<div class="notice">
<p>Dienst: <strong>${input.serviceName || input.serviceId}</strong><br>
<span class="hint">ServiceID <code>${input.serviceId}</code> · vereist niveau ${input.serviceLevel}${
      input.requestedLevels.length ? ` · gevraagd ${input.requestedLevels.join(', ')}` : ''
    } · dienstverlener <code>${input.dvEntityId}</code></span></p>
</div>
${input.error ? html`<div class="error" role="alert"><p>${input.error}</p></div>` : ''}
<form method="post" action="/broker/persona">
<input type="hidden" name="login" value="${input.loginId}">
<fieldset>
<legend>Kies een testpersoon</legend>
${input.personas.map(
  (p) => html`<div class="choice"><input type="radio" name="persona" id="persona-${p.id}" value="${p.id}"${
    p.id === selectedPersona ? new Html(' checked') : ''
  }><label for="persona-${p.id}">${p.name}<span class="hint">${personaSummary(p)}${p.note ? ` · ${p.note}` : ''}</span></label></div>`,
)}
<div class="choice"><input type="radio" name="persona" id="persona-custom" value="custom"${
      selectedPersona === 'custom' ? new Html(' checked') : ''
    }><label for="persona-custom">Andere gegevens<span class="hint">Vul hieronder zelf een organisatie en persoon in.</span></label></div>
<details${selectedPersona === 'custom' ? new Html(' open') : ''}>
<summary>Andere gegevens invullen</summary>
${customField('name', 'Naam van de persoon', 'Bijvoorbeeld: Ans de Boer')}
${customField('organisation', 'Naam van de organisatie', 'Bijvoorbeeld: Basisschool Het Anker')}
${customField('kvk', 'KvK-nummer', '8 cijfers', '[0-9]{8}')}
${customField('rsin', 'RSIN (niet verplicht)', '9 cijfers', '[0-9]{9}')}
${customField('vestigingsnummer', 'Vestigingsnummer (niet verplicht)', '12 cijfers; de machtiging wordt dan tot deze vestiging beperkt', '[0-9]{12}')}
${customField('seed', 'Zaadwaarde van het pseudoniem', 'Dezelfde waarde geeft steeds hetzelfde pseudoniem')}
</details>
</fieldset>
<fieldset>
<legend>Deze inlog aanpassen</legend>
<label class="field" for="level">Betrouwbaarheidsniveau van het middel</label>
<select id="level" name="level">
<option value="">Zoals bij de testpersoon</option>
${LEVELS.map((l) => html`<option value="${l}"${sel.level === l ? new Html(' selected') : ''}>${l}</option>`)}
</select>
<label class="field" for="machtiging">Machtiging voor deze dienst</label>
<select id="machtiging" name="machtiging">
<option value="">Zoals bij de testpersoon</option>
<option value="ja"${sel.machtiging === true ? new Html(' selected') : ''}>Ja</option>
<option value="nee"${sel.machtiging === false ? new Html(' selected') : ''}>Nee</option>
</select>
</fieldset>
<details${failures.size ? new Html(' open') : ''}>
<summary>Foutsituaties voor deze inlog (${failures.size} gekozen)</summary>
${[...groups].map(
  ([group, names]) => html`<fieldset><legend>${GROUP_LABELS[group]}</legend>
${names.map(
  (n) => html`<div class="choice"><input type="checkbox" name="failure" id="failure-${n}" value="${n}"${
    failures.has(n) ? new Html(' checked') : ''
  }><label for="failure-${n}">${FAILURE_MODES[n].label} <code>${n}</code><span class="hint">${FAILURE_MODES[n].description} (${
    EXPECT_LABELS[FAILURE_MODES[n].expect]
  })</span></label></div>`,
)}
</fieldset>`,
)}
</details>
<p>
<button type="submit" class="primary" name="action" value="login">Inloggen</button>
<button type="submit" class="secondary" name="action" value="cancel" formnovalidate>Annuleren</button>
</p>
</form>`,
  );
}

export function artifactPostPage(acsUrl: string, artifact: string, relayState: string | undefined): string {
  return page(
    'Doorsturen',
    html`<h1>U wordt teruggestuurd naar de dienstverlener</h1>
<form method="post" action="${acsUrl}" id="artifact-form">
<input type="hidden" name="SAMLart" value="${artifact}">
${relayState !== undefined ? html`<input type="hidden" name="RelayState" value="${relayState}">` : ''}
<noscript><p>JavaScript staat uit. Klik op de knop om verder te gaan.</p></noscript>
<button type="submit" class="primary">Verder</button>
</form>
<script>document.getElementById('artifact-form').submit();</script>`,
  );
}

export function indexPage(input: {
  entityId: string;
  metadataUrl: string;
  ssoUrl: string;
  arsUrl: string;
  personas: readonly Persona[];
}): string {
  return page(
    'Testmakelaar',
    html`<h1>Testmakelaar eHerkenning (idp-mock)</h1>
<p>EntityID <code>${input.entityId}</code></p>
<ul>
<li>Metadata: <a href="${input.metadataUrl}">${input.metadataUrl}</a></li>
<li>SingleSignOnService (POST en Redirect): <code>${input.ssoUrl}</code></li>
<li>ArtifactResolutionService (SOAP 1.1, mutual TLS): <code>${input.arsUrl}</code></li>
</ul>
<h2>Testpersonen</h2>
<ul>${input.personas.map((p) => html`<li><strong>${p.name}</strong> (<code>${p.id}</code>): ${personaSummary(p)}</li>`)}</ul>
<h2>Foutsituaties</h2>
<table><thead><tr><th scope="col">Naam</th><th scope="col">Wat</th><th scope="col">Verwacht</th></tr></thead><tbody>
${FAILURE_MODE_NAMES.map(
  (n) => html`<tr><td><code>${n}</code></td><td>${FAILURE_MODES[n].description}</td><td>${EXPECT_LABELS[FAILURE_MODES[n].expect]}</td></tr>`,
)}
</tbody></table>`,
  );
}
