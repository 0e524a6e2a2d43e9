// Screen texts, Dutch first (wording from the manuals in shared/seeds), English alongside.
// Keys are grouped by screen. A missing English text falls back to Dutch; a missing key is
// a programming error and shows as the key itself so tests catch it.
export type Lang = 'nl' | 'en';
export const LANGS: readonly Lang[] = ['nl', 'en'];

type Catalogue = Record<string, string>;

const nl: Catalogue = {
  'site.title': 'Mijn DUO zakelijk',
  'site.org': 'Dienst Uitvoering Onderwijs',
  'site.ministry': 'Ministerie van Onderwijs, Cultuur en Wetenschap',
  'site.skip': 'Direct naar de inhoud',
  'site.lang.switch': 'English',
  'site.lang.switchCode': 'en',
  'site.footer.contact': 'Contact',
  'site.footer.privacy': 'Privacy',
  'site.footer.problems': 'Problemen met inloggen',

  'error.title': 'Inloggen is niet gelukt',
  'error.body':
    'Er ging iets mis bij het inloggen met eHerkenning. U bent niet ingelogd. Probeer het opnieuw. Lukt het dan nog niet? Neem contact op met uw beheerder of met DUO en noem de foutcode.',
  'error.code': 'Foutcode',
  'error.reference': 'Referentie',
  'error.retry': 'Opnieuw inloggen',
  'error.sessionLost.title': 'Uw sessie is verlopen',
  'error.sessionLost.body':
    'Uw inlogpoging is verlopen of niet meer geldig. Ga terug naar de applicatie en log opnieuw in.',
  'error.notFound.title': 'Pagina niet gevonden',
  'error.notFound.body': 'Deze pagina bestaat niet.',

  'cancelled.title': 'Inloggen geannuleerd',
  'cancelled.body': 'U heeft het inloggen met eHerkenning afgebroken. U bent niet ingelogd.',
  'cancelled.retry': 'Opnieuw inloggen met eHerkenning',

  'unavailable.title': 'Tijdelijk niet beschikbaar',
  'unavailable.body':
    'Mijn DUO zakelijk is op dit moment tijdelijk niet beschikbaar. Probeer het over enkele minuten opnieuw.',

  'redirect.title': 'U wordt doorgestuurd',
  'redirect.body': 'U wordt doorgestuurd naar eHerkenning. Gebeurt dit niet automatisch? Klik dan op Verder.',
  'redirect.continue': 'Verder',

  'koppel.heading': 'Koppelen met gebruikersnaam en activatiecode',
  'koppel.subheading': 'eHerkenning koppelen met Mijn DUO-account',
  'koppel.gebruikersnaam': 'Gebruikersnaam',
  'koppel.gebruikersnaam.hint': 'Als u een nieuwe gebruiker bent, vindt u uw gebruikersnaam in de brief',
  'koppel.activatiecode': 'Activatiecode',
  'koppel.activatiecode.hint': 'U vindt uw activatiecode in de e-mail',
  'koppel.submit': 'Koppel',
  'koppel.back': 'terug naar vorige scherm',
  'koppel.failed':
    'De combinatie van gebruikersnaam en activatiecode is niet juist, of de activatiecode is niet meer geldig. Controleer uw gegevens. Na 5 verkeerde pogingen wordt uw account 15 minuten geblokkeerd.',
  'koppel.required': 'Vul uw gebruikersnaam en activatiecode in.',
  'koppel.success.title': 'Koppeling gelukt',
  'koppel.success.heading': 'Uw account is succesvol gekoppeld',
  'koppel.success.body':
    'U kunt voortaan inloggen met eHerkenning. Logde u voorheen in met een token? Vergeet dan niet om deze in te leveren!',
  'koppel.success.continue': 'Verder',
  'koppel.undone.inactive':
    'U heeft de afgelopen 18 maanden niet ingelogd. De koppeling van uw eHerkenningsmiddel aan uw Mijn DUO-account is daarom ongedaan gemaakt. U moet het koppelproces opnieuw doorlopen met een nieuwe activatiecode.',
  'koppel.undone.beheerder':
    'De koppeling van uw eHerkenningsmiddel aan uw Mijn DUO-account is ongedaan gemaakt door uw beheerder. U moet het koppelproces opnieuw doorlopen.',
};

const en: Catalogue = {
  'site.title': 'Mijn DUO business',
  'site.org': 'Education Executive Agency',
  'site.ministry': 'Ministry of Education, Culture and Science',
  'site.skip': 'Skip to content',
  'site.lang.switch': 'Nederlands',
  'site.lang.switchCode': 'nl',
  'site.footer.contact': 'Contact',
  'site.footer.privacy': 'Privacy',
  'site.footer.problems': 'Problems logging in',

  'error.title': 'Login failed',
  'error.body':
    'Something went wrong while logging in with eHerkenning. You are not logged in. Please try again. If it still fails, contact your administrator or DUO and quote the error code.',
  'error.code': 'Error code',
  'error.reference': 'Reference',
  'error.retry': 'Log in again',
  'error.sessionLost.title': 'Your session has expired',
  'error.sessionLost.body': 'Your login attempt has expired or is no longer valid. Go back to the application and log in again.',
  'error.notFound.title': 'Page not found',
  'error.notFound.body': 'This page does not exist.',

  'cancelled.title': 'Login cancelled',
  'cancelled.body': 'You cancelled logging in with eHerkenning. You are not logged in.',
  'cancelled.retry': 'Log in with eHerkenning again',

  'unavailable.title': 'Temporarily unavailable',
  'unavailable.body': 'Mijn DUO business is temporarily unavailable. Please try again in a few minutes.',

  'redirect.title': 'Redirecting',
  'redirect.body': 'You are being sent to eHerkenning. If nothing happens, click Continue.',
  'redirect.continue': 'Continue',

  'koppel.heading': 'Link with username and activation code',
  'koppel.subheading': 'Link eHerkenning to your Mijn DUO account',
  'koppel.gebruikersnaam': 'Username',
  'koppel.gebruikersnaam.hint': 'If you are a new user, your username is in the letter',
  'koppel.activatiecode': 'Activation code',
  'koppel.activatiecode.hint': 'Your activation code is in the e-mail',
  'koppel.submit': 'Link',
  'koppel.back': 'back to the previous screen',
  'koppel.failed':
    'The combination of username and activation code is not correct, or the activation code is no longer valid. Check your details. After 5 wrong attempts your account is blocked for 15 minutes.',
  'koppel.required': 'Enter your username and activation code.',
  'koppel.success.title': 'Link successful',
  'koppel.success.heading': 'Your account has been linked',
  'koppel.success.body':
    'From now on you log in with eHerkenning. Did you use a token to log in before? Do not forget to hand it in!',
  'koppel.success.continue': 'Continue',
  'koppel.undone.inactive':
    'You have not logged in for 18 months, so the link between your eHerkenning means and your Mijn DUO account was undone. Please link again with a new activation code.',
  'koppel.undone.beheerder':
    'Your administrator has undone the link between your eHerkenning means and your Mijn DUO account. Please link again.',
};

const catalogues: Record<Lang, Catalogue> = { nl, en };

/** Register more texts (a feature module adds its own screens' texts). */
export function addMessages(lang: Lang, messages: Catalogue): void {
  for (const [k, v] of Object.entries(messages)) {
    if (Object.hasOwn(catalogues[lang], k)) throw new Error(`duplicate message key ${k}`);
    catalogues[lang][k] = v;
  }
}

export type Translate = (key: string, params?: Record<string, string | number>) => string;

export function translator(lang: Lang): Translate {
  return (key, params) => {
    const text = catalogues[lang][key] ?? catalogues.nl[key] ?? key;
    if (!params) return text;
    return text.replace(/\{(\w+)\}/g, (m, name: string) => (Object.hasOwn(params, name) ? String(params[name]) : m));
  };
}

export function hasMessage(lang: Lang, key: string): boolean {
  return Object.hasOwn(catalogues[lang], key);
}

export function isLang(v: unknown): v is Lang {
  return v === 'nl' || v === 'en';
}
