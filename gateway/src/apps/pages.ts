// The few pages oidc-provider itself renders: the logout question, the logout confirmation and
// its error page. Plain Dutch HTML with no script and no inline style, so they pass a strict
// Content-Security-Policy. Deliberately minimal: the look comes later from the shared views.
import { errors } from 'oidc-provider';

export function escapeHtml(value: unknown): string {
  return String(value)
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

/** A whole page; `body` must already be safe HTML. */
export function page(title: string, body: string): string {
  return `<!DOCTYPE html>
<html lang="nl">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)} - Mijn DUO zakelijk</title>
</head>
<body>
<main>
${body}
</main>
</body>
</html>`;
}

/**
 * The question "do you want to log out?". `form` is oidc-provider's hidden form
 * (id="op.logoutForm", with its xsrf token); both buttons submit it. `logout=yes` ends the
 * whole gateway session, the other button only ends the session at the asking application.
 */
export function logoutPage(form: string, clientName: string | undefined): string {
  const at = clientName ? ` U komt van ${escapeHtml(clientName)}.` : '';
  return page(
    'Uitloggen',
    `<h1>Uitloggen</h1>
<p>Wilt u uitloggen bij Mijn DUO zakelijk?${at}</p>
${form}
<p>
<button autofocus type="submit" form="op.logoutForm" name="logout" value="yes">Ja, uitloggen</button>
<button type="submit" form="op.logoutForm">Nee, ingelogd blijven</button>
</p>`,
  );
}

export function loggedOutPage(clientName: string | undefined): string {
  const from = clientName ? ` bij ${escapeHtml(clientName)}` : '';
  return page(
    'U bent uitgelogd',
    `<h1>U bent uitgelogd</h1>
<p>U bent uitgelogd${from}. Sluit uw browser als u een gedeelde computer gebruikt.</p>`,
  );
}

interface ErrorText {
  title: string;
  text: string;
}

/** What the person reads for an error; never the internal description. */
export function errorText(error: unknown, code: string, status: number): ErrorText {
  if (error instanceof errors.SessionNotFound) {
    return {
      title: 'Uw inlogpoging is verlopen',
      text: 'Dit gebeurt als u te lang heeft gewacht, of als u de pagina in een ander venster of een andere browser opende. Ga terug naar de applicatie en log opnieuw in.',
    };
  }
  switch (code) {
    case 'invalid_client':
    case 'invalid_redirect_uri':
    case 'unauthorized_client':
      return {
        title: 'Onbekende applicatie',
        text: 'De applicatie die u hierheen stuurde, is bij Mijn DUO zakelijk niet of niet goed aangemeld. Neem contact op met de beheerder van die applicatie.',
      };
    case 'access_denied':
      return { title: 'Inloggen afgebroken', text: 'Het inloggen is afgebroken. Ga terug naar de applicatie als u het opnieuw wilt proberen.' };
    case 'login_required':
    case 'interaction_required':
    case 'consent_required':
      return { title: 'Inloggen nodig', text: 'U moet eerst inloggen. Ga terug naar de applicatie en log opnieuw in.' };
    default:
      if (status >= 500) {
        return {
          title: 'Er ging iets mis',
          text: 'Door een technische storing kunt u nu niet inloggen. Probeer het later opnieuw.',
        };
      }
      return {
        title: 'Ongeldig inlogverzoek',
        text: 'Het inlogverzoek van de applicatie is niet geldig. Ga terug naar de applicatie en probeer het opnieuw. Blijft het misgaan, neem dan contact op met de servicedesk.',
      };
  }
}

/** The error page: a Dutch explanation plus a code and reference the helpdesk can look up. */
export function errorPage(text: ErrorText, code: string, reference: string): string {
  return page(
    text.title,
    `<h1>${escapeHtml(text.title)}</h1>
<p>${escapeHtml(text.text)}</p>
<p>Foutcode: <code>OIDC-${escapeHtml(code)}</code><br>Referentie: <code>${escapeHtml(reference)}</code></p>`,
  );
}
