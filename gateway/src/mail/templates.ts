// Mail texts, Dutch first with the English text alongside (one mail serves both readers).
// The gebruikersnaam never travels by e-mail: it goes on the printed letter that the
// beheerder hands over in person (manual 1.1, step 3); the activation code goes by e-mail
// (step 4). Two channels, so one intercepted channel is not enough to link a means.

export interface MailContent {
  subject: string;
  text: string;
  html: string;
}

export interface ConfirmationMailInput {
  name: string;
  organisation: string;
  beheerder: boolean;
  rollen: string[];
  kenmerken: string[];
  /** Base URL of Mijn DUO zakelijk (the login page). */
  loginUrl: string;
}

export interface ActivationCodeMailInput {
  name: string;
  code: string;
  /** ms since epoch. */
  expiresAt: number;
  validHours: number;
  loginUrl: string;
  maxFailedAttempts: number;
  lockMinutes: number;
}

export function escapeHtml(s: string): string {
  return s
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

/** "16 januari 2026 om 10:00" / "16 January 2026 at 10:00", in Dutch time. */
export function formatDateTime(ms: number, lang: 'nl' | 'en'): string {
  const d = new Date(ms);
  const date = new Intl.DateTimeFormat(lang === 'nl' ? 'nl-NL' : 'en-GB', {
    timeZone: 'Europe/Amsterdam',
    day: 'numeric',
    month: 'long',
    year: 'numeric',
  }).format(d);
  const time = new Intl.DateTimeFormat('nl-NL', {
    timeZone: 'Europe/Amsterdam',
    hour: '2-digit',
    minute: '2-digit',
    hour12: false,
  }).format(d);
  return lang === 'nl' ? `${date} om ${time} uur` : `${date} at ${time} (Dutch time)`;
}

/** A mail body as blocks: a heading, paragraphs and numbered or bulleted lists. */
type Block = { h: string } | { p: string } | { ol: string[] } | { ul: string[] } | { code: string };

function renderText(blocks: Block[]): string {
  const out: string[] = [];
  for (const b of blocks) {
    if ('h' in b) out.push(b.h, '='.repeat(Math.min(b.h.length, 72)));
    else if ('p' in b) out.push(b.p);
    else if ('code' in b) out.push(`    ${b.code}`);
    else if ('ol' in b) out.push(b.ol.map((li, i) => `${i + 1}. ${li}`).join('\n'));
    else out.push(b.ul.map((li) => `- ${li}`).join('\n'));
    out.push('');
  }
  return out.join('\n').trimEnd() + '\n';
}

function renderHtml(title: string, nl: Block[], en: Block[]): string {
  const block = (b: Block): string => {
    if ('h' in b) return `<h2>${escapeHtml(b.h)}</h2>`;
    if ('p' in b) return `<p>${escapeHtml(b.p)}</p>`;
    if ('code' in b)
      return `<p style="font-family:monospace;font-size:1.5em;letter-spacing:0.1em"><strong>${escapeHtml(b.code)}</strong></p>`;
    if ('ol' in b) return `<ol>${b.ol.map((li) => `<li>${escapeHtml(li)}</li>`).join('')}</ol>`;
    return `<ul>${b.ul.map((li) => `<li>${escapeHtml(li)}</li>`).join('')}</ul>`;
  };
  return [
    '<!doctype html>',
    `<html lang="nl"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title></head>`,
    '<body style="font-family:sans-serif;max-width:40em">',
    `<div lang="nl">${nl.map(block).join('\n')}</div>`,
    '<hr>',
    `<div lang="en">${en.map(block).join('\n')}</div>`,
    '</body></html>',
  ].join('\n');
}

function compose(subject: string, nl: Block[], en: Block[]): MailContent {
  const text = renderText(nl) + '\n----------------------------------------\n(English below / Engels hieronder)\n\n' + renderText(en);
  return { subject, text, html: renderHtml(subject, nl, en) };
}

const SIGNATURE_NL = 'Met vriendelijke groet,\nDienst Uitvoering Onderwijs (DUO) — Mijn DUO zakelijk';
const SIGNATURE_EN = 'Kind regards,\nDienst Uitvoering Onderwijs (DUO) — Mijn DUO zakelijk';
const NO_REPLY_NL = 'Dit is een automatisch verstuurde e-mail; u kunt hier niet op antwoorden.';
const NO_REPLY_EN = 'This e-mail was sent automatically; replies are not read.';

/** Manual 1.1, step 2: "U ontvangt een bevestigingsmail met verdere instructies." */
export function confirmationMail(i: ConfirmationMailInput): MailContent {
  const list = (xs: string[], none: string) => (xs.length ? xs.join(', ') : none);
  const nl: Block[] = [
    { p: `Beste ${i.name},` },
    {
      p:
        `De beheerder van ${i.organisation} heeft u aangemeld als ${i.beheerder ? 'beheerder en ' : ''}gebruiker van Mijn DUO zakelijk. ` +
        'De rollen en kenmerken die u hebt gekregen bepalen tot welke diensten van DUO u toegang krijgt.',
    },
    { ul: [`Rollen: ${list(i.rollen, 'geen')}`, `Kenmerken: ${list(i.kenmerken, 'geen')}`] },
    { h: 'Wat moet u nu doen?' },
    {
      ol: [
        "Zorg dat u een persoonlijk eHerkenningsmiddel hebt van niveau 3 (EH3) of hoger, met een machtiging voor de dienst 'Mijn DUO voor zakelijke klanten'. Uw organisatie schaft dit middel aan.",
        'Uw beheerder ontvangt een brief met uw gebruikersnaam. De beheerder print deze brief en geeft hem persoonlijk aan u. Uw gebruikersnaam staat om veiligheidsredenen niet in deze e-mail.',
        'Vraag uw activatiecode aan bij uw beheerder. U ontvangt de code daarna per e-mail. Let op: de activatiecode is 24 uur geldig.',
        `Koppel uw eHerkenningsmiddel aan uw Mijn DUO-account: ga naar ${i.loginUrl}, kies Log in met eHerkenning en volg de stappen. Daarna logt u voortaan in met eHerkenning.`,
      ],
    },
    { p: 'Hebt u zich niet aangemeld of klopt er iets niet? Neem dan contact op met de beheerder van uw organisatie.' },
    { p: SIGNATURE_NL },
    { p: NO_REPLY_NL },
  ];
  const en: Block[] = [
    { p: `Dear ${i.name},` },
    {
      p:
        `The administrator (beheerder) of ${i.organisation} has registered you as ${i.beheerder ? 'an administrator and ' : 'a '}user of Mijn DUO zakelijk. ` +
        'The roles (rollen) and attributes (kenmerken) you were given decide which DUO services you can use.',
    },
    { ul: [`Roles: ${list(i.rollen, 'none')}`, `Attributes: ${list(i.kenmerken, 'none')}`] },
    { h: 'What to do next' },
    {
      ol: [
        "Make sure you have a personal eHerkenning means of level 3 (EH3) or higher, authorised for the service 'Mijn DUO voor zakelijke klanten'. Your organisation obtains it.",
        'Your administrator receives a letter with your user name (gebruikersnaam), prints it and hands it to you in person. For your security the user name is not in this e-mail.',
        'Ask your administrator for your activation code (activatiecode). It will reach you by e-mail and is valid for 24 hours.',
        `Link your eHerkenning means to your Mijn DUO account: go to ${i.loginUrl}, choose Log in met eHerkenning and follow the steps. From then on you log in with eHerkenning.`,
      ],
    },
    { p: 'Did you not expect this e-mail, or is something wrong? Please contact the administrator of your organisation.' },
    { p: SIGNATURE_EN },
    { p: NO_REPLY_EN },
  ];
  return compose('Uw aanmelding voor Mijn DUO zakelijk / Your registration for Mijn DUO zakelijk', nl, en);
}

/** Manual 1.1 step 4 and 1.2: the activation code, valid 24 hours, and how to link. */
export function activationCodeMail(i: ActivationCodeMailInput): MailContent {
  const until = { nl: formatDateTime(i.expiresAt, 'nl'), en: formatDateTime(i.expiresAt, 'en') };
  const nl: Block[] = [
    { p: `Beste ${i.name},` },
    { p: 'Hierbij ontvangt u uw activatiecode voor Mijn DUO zakelijk:' },
    { code: i.code },
    {
      p: `Deze code is ${i.validHours} uur geldig, tot ${until.nl}, en kan maar één keer worden gebruikt. Een eerder verstuurde activatiecode is niet meer geldig.`,
    },
    { h: 'Zo koppelt u uw eHerkenningsmiddel' },
    { p: 'U hebt nodig: uw eHerkenningsmiddel (niveau 3 of hoger, voor de dienst Mijn DUO voor zakelijke klanten), de gebruikersnaam uit de brief van uw beheerder en deze activatiecode.' },
    {
      ol: [
        `Ga naar ${i.loginUrl}, kies uw sector en klik op Log in met eHerkenning. Log in met uw eHerkenningsmiddel.`,
        "Kies bij 'Mijn situatie': Ik heb een gebruikersnaam en een geldige activatiecode. Klik op Verder.",
        'Lees de disclaimer (fraude en privacy), vink aan dat u akkoord gaat en klik op Verder.',
        'Lees de gebruikersvoorwaarden, vink aan dat u akkoord gaat en klik op Verder.',
        'Vul uw gebruikersnaam en deze activatiecode in en klik op Koppel.',
        "Ziet u 'Koppeling gelukt'? Klik op Verder. U kunt voortaan inloggen met eHerkenning.",
      ],
    },
    {
      ul: [
        `Na ${i.maxFailedAttempts} keer een verkeerde combinatie van gebruikersnaam en activatiecode wordt uw account ${i.lockMinutes} minuten geblokkeerd.`,
        'Is de code verlopen? Vraag dan een nieuwe aan bij uw beheerder.',
        'Logde u voorheen in met een token? Na het koppelen kunt u daar niet meer mee inloggen; lever uw token in bij uw beheerder.',
      ],
    },
    { p: 'Hebt u geen activatiecode aangevraagd? Neem dan direct contact op met de beheerder van uw organisatie en geef de code aan niemand door.' },
    { p: SIGNATURE_NL },
    { p: NO_REPLY_NL },
  ];
  const en: Block[] = [
    { p: `Dear ${i.name},` },
    { p: 'Here is your activation code (activatiecode) for Mijn DUO zakelijk:' },
    { code: i.code },
    {
      p: `The code is valid for ${i.validHours} hours, until ${until.en}, and can be used once. Any code sent to you earlier no longer works.`,
    },
    { h: 'How to link your eHerkenning means' },
    { p: 'You need: your eHerkenning means (level 3 or higher, for the service Mijn DUO voor zakelijke klanten), the user name (gebruikersnaam) from your administrator’s letter, and this activation code.' },
    {
      ol: [
        `Go to ${i.loginUrl}, choose your sector and click Log in met eHerkenning. Log in with your eHerkenning means.`,
        "Under 'Mijn situatie' choose: Ik heb een gebruikersnaam en een geldige activatiecode (I have a user name and a valid activation code). Click Verder (next).",
        'Read the disclaimer (fraud and privacy), tick that you agree and click Verder.',
        'Read the terms of use (gebruikersvoorwaarden), tick that you agree and click Verder.',
        'Enter your user name and this activation code and click Koppel (link).',
        "When you see 'Koppeling gelukt' (link successful), click Verder. From now on you log in with eHerkenning.",
      ],
    },
    {
      ul: [
        `After ${i.maxFailedAttempts} wrong combinations of user name and activation code your account is blocked for ${i.lockMinutes} minutes.`,
        'Has the code expired? Ask your administrator for a new one.',
        'Did you log in with a token before? After linking, the token no longer works; hand it in to your administrator.',
      ],
    },
    { p: 'Did you not ask for an activation code? Contact the administrator of your organisation at once and do not share the code with anyone.' },
    { p: SIGNATURE_EN },
    { p: NO_REPLY_EN },
  ];
  return compose('Uw activatiecode voor Mijn DUO zakelijk / Your activation code for Mijn DUO zakelijk', nl, en);
}
