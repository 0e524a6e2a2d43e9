// The letter with the gebruikersnaam (manual 1.1, step 3): the beheerder prints it and hands it
// over in person. It never holds the activation code, which goes by e-mail (step 4).
import PDFDocument from 'pdfkit';

export interface GebruikersnaamLetterInput {
  gebruikersnaam: string;
  name: string;
  organisation: string;
  /** Where to log in (the login page of Mijn DUO zakelijk). */
  loginUrl: string;
  /** Date printed on the letter (ms since epoch, from the injected clock). */
  date: number;
  activationCodeTtlHours: number;
  maxFailedAttempts: number;
  lockMinutes: number;
  /** Compress the PDF streams (default true); tests switch it off to read the text. */
  compress?: boolean;
}

function dutchDate(ms: number): string {
  return new Intl.DateTimeFormat('nl-NL', {
    timeZone: 'Europe/Amsterdam',
    day: 'numeric',
    month: 'long',
    year: 'numeric',
  }).format(new Date(ms));
}

/** Render the letter as a PDF (A4, Dutch). */
export function renderGebruikersnaamLetter(i: GebruikersnaamLetterInput): Promise<Buffer> {
  const doc = new PDFDocument({
    size: 'A4',
    margins: { top: 64, bottom: 64, left: 72, right: 72 },
    compress: i.compress ?? true,
    info: {
      Title: `Gebruikersnaam Mijn DUO zakelijk — ${i.name}`,
      Author: 'Dienst Uitvoering Onderwijs',
      Subject: 'Gebruikersnaam Mijn DUO zakelijk',
      CreationDate: new Date(i.date),
    },
    lang: 'nl-NL',
  });
  const chunks: Buffer[] = [];
  const done = new Promise<Buffer>((resolve, reject) => {
    doc.on('data', (c: Buffer) => chunks.push(c));
    doc.on('end', () => resolve(Buffer.concat(chunks)));
    doc.on('error', reject);
  });

  const width = doc.page.width - doc.page.margins.left - doc.page.margins.right;
  const left = doc.page.margins.left;

  // Letterhead
  doc.font('Helvetica-Bold').fontSize(14).text('Dienst Uitvoering Onderwijs', left, doc.page.margins.top);
  doc.font('Helvetica').fontSize(9).fillColor('#444444').text('Ministerie van Onderwijs, Cultuur en Wetenschap');
  doc.fillColor('black').moveDown(2);

  doc.font('Helvetica-Bold').fontSize(10).text('PERSOONLIJK OVERHANDIGEN', { characterSpacing: 1 });
  doc.moveDown(0.5);
  doc.font('Helvetica').fontSize(11).text(i.name).text(i.organisation);
  doc.moveDown(1.5);
  doc.text(`Datum: ${dutchDate(i.date)}`);
  doc.text('Onderwerp: uw gebruikersnaam voor Mijn DUO zakelijk');
  doc.moveDown(1.5);

  doc.text(`Beste ${i.name},`);
  doc.moveDown(0.7);
  doc.text(
    'De beheerder van uw organisatie heeft u aangemeld als gebruiker van Mijn DUO zakelijk. ' +
      'Met deze brief ontvangt u uw gebruikersnaam. U hebt die eenmalig nodig om uw ' +
      'eHerkenningsmiddel te koppelen aan uw Mijn DUO-account.',
    { width, align: 'left' },
  );
  doc.moveDown(1);

  // The gebruikersnaam, in a box, in a typeface where every character is unmistakable.
  const boxTop = doc.y;
  const boxHeight = 64;
  doc.rect(left, boxTop, width, boxHeight).lineWidth(1).stroke('#000000');
  doc.font('Helvetica').fontSize(10).text('Uw gebruikersnaam', left + 16, boxTop + 10);
  doc.font('Courier-Bold').fontSize(22).text(i.gebruikersnaam, left + 16, boxTop + 28, { characterSpacing: 2 });
  doc.x = left;
  doc.y = boxTop + boxHeight + 16;

  doc.font('Helvetica-Bold').fontSize(12).text('Zo koppelt u uw eHerkenningsmiddel', left);
  doc.moveDown(0.4);
  doc.font('Helvetica').fontSize(11).text('U hebt nodig:', { width });
  doc.list(
    [
      "uw eHerkenningsmiddel van niveau 3 of hoger, voor de dienst 'Mijn DUO voor zakelijke klanten';",
      'de gebruikersnaam uit deze brief;',
      `de activatiecode die u per e-mail ontvangt. Vraag die aan bij uw beheerder. Let op: de activatiecode is ${i.activationCodeTtlHours} uur geldig.`,
    ],
    { width, bulletRadius: 2, textIndent: 12, bulletIndent: 4 },
  );
  doc.moveDown(0.6);
  const steps = [
    `Ga naar ${i.loginUrl}. Klik op de gewenste sector en vervolgens op Inloggen op Mijn DUO. Kies voor Log in met eHerkenning en log in met uw eHerkenningsmiddel.`,
    'Bevestig dat u uw gebruikersnaam en een geldige activatiecode hebt. Klik op Verder.',
    'Bevestig dat u gaat inloggen met de aan u toegewezen gebruikersnaam en activatiecode, en dat u akkoord gaat met het privacy statement. Klik op Verder.',
    'Lees de gebruikersvoorwaarden en bevestig dat u die hebt gelezen en ermee akkoord gaat. Klik op Verder.',
    "Vul uw gebruikersnaam en activatiecode in. Klik op Koppel. De koppeling is klaar als het scherm 'Koppeling gelukt' wordt getoond. Klik op Verder.",
    'Na de koppeling komt u in Mijn DUO en kunt u meteen gebruikmaken van de diensten waarvoor u bent geautoriseerd.',
  ];
  steps.forEach((s, n) => {
    doc.font('Helvetica-Bold').text(`Stap ${n + 1}  `, { continued: true, width });
    doc.font('Helvetica').text(s, { width });
    doc.moveDown(0.3);
  });
  doc.moveDown(0.5);
  doc.font('Helvetica-Bold').text('Let op', { width });
  doc.font('Helvetica').list(
    [
      `Na ${i.maxFailedAttempts} keer een verkeerde combinatie van gebruikersnaam en activatiecode wordt uw account ${i.lockMinutes} minuten geblokkeerd.`,
      'Is uw activatiecode verlopen? Vraag dan een nieuwe aan bij uw beheerder.',
      'Logde u voorheen in met een token? Na het koppelen kunt u daar niet meer mee inloggen. Lever uw token in bij uw beheerder.',
      'Bewaar deze brief op een veilige plaats en geef uw gebruikersnaam niet aan anderen.',
    ],
    { width, bulletRadius: 2, textIndent: 12, bulletIndent: 4 },
  );
  doc.moveDown(1);
  doc.text('Met vriendelijke groet,', { width });
  doc.text('Dienst Uitvoering Onderwijs', { width });

  doc.end();
  return done;
}
