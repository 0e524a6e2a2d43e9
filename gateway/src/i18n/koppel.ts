// Texts of the login page, the koppel wizard, token login and the information pages. Dutch
// wording follows the manuals (shared/seeds, sections 1.2–1.5); English alongside. Registered
// with addMessages on import, so the shared catalogue stays as it is.
import { addMessages } from './messages.ts';

const nl: Record<string, string> = {
  // Shared bits of forms
  'form.errorSummary.title': 'Er is iets niet goed ingevuld',
  'form.error.prefix': 'Fout:',
  'form.or': 'of',
  'form.continue': 'Verder',
  'form.back': 'terug naar vorige scherm',
  'form.newWindow': '(opent in een nieuw venster)',
  'form.akkoord': 'Ik heb bovenstaande informatie gelezen en ga hiermee akkoord',
  'form.akkoord.required': 'Vink aan dat u bovenstaande informatie hebt gelezen en ermee akkoord gaat.',

  // Login page (manual 1.2 stap 1, 1.4)
  'login.title': 'Inloggen op Mijn DUO zakelijk',
  'login.intro': 'Kies de sector waarvoor u wilt inloggen en log in met uw eHerkenningsmiddel (niveau EH3 of hoger).',
  'login.sector': 'Sector',
  'login.sector.hint': 'Voor welke sector logt u in?',
  'login.sector.choose': 'Kies een sector',
  'login.sector.required': 'Kies de sector waarvoor u wilt inloggen.',
  'login.eherkenning.heading': 'eHerkenning',
  'login.eherkenning.submit': 'Log in met eHerkenning',
  'login.links.heading': 'Meer mogelijkheden',
  'login.link.info': 'eHerkenning aanvragen en gebruiken',
  'login.link.token': 'Inloggen met token',
  'login.link.problems': 'Problemen met inloggen',
  'login.back': 'Naar Inloggen op Mijn DUO zakelijk',

  // Information: eHerkenning aanvragen en gebruiken (Inleiding of the manual)
  'info.title': 'eHerkenning aanvragen en gebruiken',
  'info.p1':
    'eHerkenning is een veilig, makkelijk en betrouwbaar inlogmiddel waarmee beheerders en gebruikers kunnen inloggen op Mijn DUO zakelijk en bij andere (overheids)organisaties.',
  'info.need':
    'U heeft een persoonlijk eHerkenningsmiddel nodig van niveau 3 of hoger, voor de dienst ‘Mijn DUO voor zakelijke klanten’. Uw organisatie is verantwoordelijk voor de aanschaf van het eHerkenningsmiddel.',
  'info.li1': 'Een eHerkenningsmiddel is persoonsgebonden en niet overdraagbaar. Dat geeft meer zekerheid over uw online identiteit.',
  'info.li2':
    'Met hetzelfde eHerkenningsmiddel kunt u bij alle aangesloten (overheids)organisaties inloggen. Het middel moet wel voor elke organisatie het juiste betrouwbaarheidsniveau hebben en een machtiging voor die dienst.',
  'info.li3': 'Een organisatie moet er zelf voor zorgen dat beoogde beheerders en gebruikers over een eigen eHerkenningsmiddel beschikken.',
  'info.li4': 'eHerkenning wordt aangeboden door private partijen; er zijn kosten aan verbonden.',
  'info.steps.heading': 'Hoe wordt u een gebruiker van Mijn DUO?',
  'info.step1': 'U zorgt voor een persoonlijk eHerkenningsmiddel niveau 3 of hoger voor de dienst ‘Mijn DUO voor zakelijke klanten’.',
  'info.step2': 'De beheerder binnen uw organisatie registreert u als gebruiker. U ontvangt een bevestigingsmail.',
  'info.step3': 'De beheerder overhandigt u persoonlijk een brief met uw gebruikersnaam.',
  'info.step4': 'U vraagt uw activatiecode aan bij uw beheerder. Die ontvangt u per e-mail; hij is 24 uur geldig.',
  'info.step5': 'U koppelt uw eHerkenningsmiddel eenmalig aan uw Mijn DUO-account. Daarna logt u in met eHerkenning.',
  'info.more': 'Kijk voor meer informatie over eHerkenning en de leveranciers op',

  // Problemen met inloggen (manual 1.3, 1.5, Contact)
  'problems.title': 'Problemen met inloggen',
  'problems.means': 'Werkt uw eHerkenningsmiddel niet naar behoren? Neem dan contact op met uw beheerder of de leverancier van uw eHerkenningsmiddel.',
  'problems.attention': 'Let op:',
  'problems.months':
    'Als u de afgelopen 18 maanden niet hebt ingelogd, is de koppeling van uw eHerkenningsmiddel aan uw Mijn DUO-account ongedaan gemaakt. U moet het koppelproces opnieuw doorlopen.',
  'problems.lost':
    'Kunt u niet inloggen omdat uw eHerkenningsmiddel defect, gestolen of zoek is? Meld dit ogenblikkelijk aan uw beheerder. De koppeling van uw eHerkenningsmiddel aan uw Mijn DUO-account wordt dan ongedaan gemaakt. Om weer toegang te krijgen tot Mijn DUO moet u het koppelproces opnieuw doorlopen met uw (nieuwe) eHerkenningsmiddel.',
  'problems.koppel.heading': 'Problemen bij het koppelen',
  'problems.blocked':
    'Als u 5 keer met een verkeerde combinatie van gebruikersnaam en activatiecode inlogt, wordt uw account 15 minuten geblokkeerd. Daarna kunt u opnieuw proberen in te loggen.',
  'problems.expired': 'Uw activatiecode is 24 uur geldig. Als uw activatiecode is verlopen, moet u bij uw beheerder een nieuwe aanvragen.',
  'problems.token': 'Na een succesvol koppelproces met uw eHerkenningsmiddel kunt u niet meer inloggen met een token. Lever uw token in bij uw beheerder.',
  'problems.contact.heading': 'Contact',
  'problems.contact':
    'Hebt u andere problemen met inloggen, of vragen over de diensten? Kijk op de contactpagina van DUO voor het e-mailadres of telefoonnummer van de betreffende dienst:',

  // Gebruikersvoorwaarden (default page; config.koppel.termsUrl may point elsewhere)
  'terms.title': 'Gebruikersvoorwaarden Mijn DUO zakelijk',
  'terms.version': 'Versie {version}',
  'terms.intro': 'Deze voorwaarden gelden voor iedereen die met eHerkenning inlogt op Mijn DUO zakelijk.',
  'terms.1': 'U gebruikt Mijn DUO zakelijk alleen voor de taken waarvoor uw beheerder u rollen en kenmerken heeft toegekend.',
  'terms.2': 'Uw eHerkenningsmiddel, gebruikersnaam en activatiecode zijn persoonlijk. U geeft ze niet aan een ander en laat een ander er niet mee inloggen.',
  'terms.3': 'U gaat zorgvuldig om met de (privacygevoelige) gegevens die u in Mijn DUO zakelijk ziet, volgens de Algemene verordening gegevensbescherming (AVG).',
  'terms.4': 'Is uw eHerkenningsmiddel defect, gestolen of zoek? Dan meldt u dit ogenblikkelijk aan uw beheerder.',
  'terms.5': 'De koppeling van uw eHerkenningsmiddel aan uw account vervalt als u 18 maanden niet hebt ingelogd, of als uw beheerder haar ongedaan maakt.',
  'terms.6': 'DUO legt vast wanneer u inlogt en koppelt, om misbruik te kunnen opsporen.',
  'terms.7': 'U houdt uw (contact)gegevens in ‘Mijn gegevens’ zelf actueel.',

  // Wizard, shared
  'wizard.subheading': 'eHerkenning koppelen met Mijn DUO-account',
  'wizard.progress': 'Stap {n} van {total}',
  'wizard.backTo.situatie': 'Naar Mijn situatie',
  'wizard.backTo.disclaimer': 'Naar Disclaimer',
  'wizard.backTo.voorwaarden': 'Naar Gebruikersvoorwaarden',
  'wizard.cancel': 'annuleer en log uit',
  'wizard.undone.replaced':
    'Uw Mijn DUO-account is inmiddels aan een ander eHerkenningsmiddel gekoppeld. Wilt u met dit eHerkenningsmiddel inloggen? Dan moet u het koppelproces opnieuw doorlopen met een nieuwe activatiecode.',

  // Stap 2: Voordat u begint
  'wizard.situatie.title': 'Voordat u begint',
  'wizard.situatie.p1': 'Welkom bij het koppelproces. Dit koppelproces is om uw eHerkenningsmiddel aan uw Mijn DUO-account te koppelen.',
  'wizard.situatie.p2': 'Om dit koppelproces te doorlopen heeft u een gebruikersnaam en geldige activatiecode nodig van uw Mijn DUO-account.',
  'wizard.situatie.p3': 'Na het koppelen kunt u alleen nog inloggen met eHerkenning.',
  'wizard.situatie.legend': 'Mijn situatie',
  'wizard.situatie.wel': 'Ik heb een gebruikersnaam en een geldige activatiecode',
  'wizard.situatie.geen': 'Ik heb geen gebruikersnaam en/of geen (geldige) activatiecode',
  'wizard.situatie.required': 'Kies uw situatie.',

  // The second choice: what to do
  'wizard.hulp.title': 'U kunt nog niet koppelen',
  'wizard.hulp.p1': 'Om te koppelen heeft u een gebruikersnaam en een geldige activatiecode nodig.',
  'wizard.hulp.naam':
    'Heeft u geen gebruikersnaam? Uw beheerder ontvangt voor u een brief met uw gebruikersnaam en overhandigt deze persoonlijk aan u. Vraag uw beheerder ernaar.',
  'wizard.hulp.code':
    'Heeft u geen activatiecode, of is uw activatiecode verlopen? Vraag uw beheerder om een nieuwe activatiecode. U ontvangt die per e-mail. Een activatiecode is 24 uur geldig; een nieuwe code maakt de vorige ongeldig.',
  'wizard.hulp.then': 'Log daarna opnieuw in met eHerkenning en doorloop het koppelproces.',
  'wizard.hulp.cancel': 'Annuleer en log uit',

  // Stap 3: Disclaimer
  'wizard.disclaimer.title': 'Disclaimer',
  'wizard.disclaimer.fraude.heading': 'Fraude',
  'wizard.disclaimer.fraude':
    'Het bewust aannemen van de identiteit van een ander persoon wordt gezien als identiteitsfraude en is conform het Nederlands recht strafbaar. Overtuig u er goed van dat u de koppeling legt met een door u persoonlijk toegewezen en uitgereikte gebruikersnaam en activatiecode. Indien u twijfelt, kunt u uw organisatiebeheerder raadplegen of de gebruikersnaam en activatiecode aan u toebehoren.',
  'wizard.disclaimer.privacy.heading': 'Privacy',
  'wizard.disclaimer.privacy':
    'Voor het koppelen gaat u een gebruikersnaam en activatiecode doorgeven. Dit zijn gegevens die eventueel herleidbaar kunnen zijn naar uw persoonlijke gegevens.',

  // Stap 4: Gebruikersvoorwaarden
  'wizard.voorwaarden.title': 'Gebruikersvoorwaarden',
  'wizard.voorwaarden.p1':
    'Met de komst van eHerkenning zijn er nieuwe gebruikersvoorwaarden opgesteld. U moet die accepteren om verder te gaan. U vindt de gebruikersvoorwaarden via onderstaande link:',
  'wizard.voorwaarden.link': 'Ga naar gebruikersvoorwaarden',

  // Stap 5: Koppelen
  'wizard.koppelen.required.gebruikersnaam': 'Vul uw gebruikersnaam in.',
  'wizard.koppelen.required.activatiecode': 'Vul uw activatiecode in.',
  'wizard.blocked':
    'U heeft te vaak een verkeerde combinatie van gebruikersnaam en activatiecode ingevuld. Daarom is koppelen tijdelijk geblokkeerd. U kunt het na {time} uur opnieuw proberen.',
  'wizard.throttled': 'Er zijn vanaf uw netwerk te veel pogingen gedaan. Probeer het na {time} uur opnieuw.',

  // Token login (manual 1.4)
  'token.title': 'Inloggen met token',
  'token.intro': 'Log in met uw gebruikersnaam en de code van 6 cijfers die uw token nu toont.',
  'token.notice':
    'Heeft u uw eHerkenningsmiddel al gekoppeld aan uw Mijn DUO-account? Dan kunt u niet meer inloggen met een token. Log dan in met eHerkenning.',
  'token.gebruikersnaam': 'Gebruikersnaam',
  'token.code': 'Code van uw token',
  'token.code.hint': '6 cijfers',
  'token.submit': 'Inloggen',
  'token.required.gebruikersnaam': 'Vul uw gebruikersnaam in.',
  'token.required.code': 'Vul de code van 6 cijfers van uw token in.',
  'token.failed':
    'De combinatie van gebruikersnaam en code is niet juist. Controleer uw gebruikersnaam en probeer het opnieuw met een nieuwe code van uw token. Na 5 verkeerde pogingen wordt inloggen met token 15 minuten geblokkeerd.',
  'token.linked':
    'Na een succesvol koppelproces met uw eHerkenningsmiddel kunt u niet meer inloggen met een token. Log in met eHerkenning en lever uw token in bij uw beheerder.',
  'token.blocked':
    'U heeft te vaak een verkeerde combinatie van gebruikersnaam en code ingevuld. Daarom is inloggen met token tijdelijk geblokkeerd. U kunt het na {time} uur opnieuw proberen.',
  'token.disabled': 'Dit account is geblokkeerd. Neem contact op met uw beheerder.',

  'error.accountDisabled.title': 'Uw account is geblokkeerd',
  'error.accountDisabled.body': 'U kunt niet inloggen op Mijn DUO zakelijk, omdat uw account is geblokkeerd. Neem contact op met uw beheerder.',
};

const en: Record<string, string> = {
  'form.errorSummary.title': 'There is a problem',
  'form.error.prefix': 'Error:',
  'form.or': 'or',
  'form.continue': 'Continue',
  'form.back': 'back to the previous screen',
  'form.newWindow': '(opens in a new window)',
  'form.akkoord': 'I have read the information above and I agree',
  'form.akkoord.required': 'Tick the box to confirm that you have read the information above and agree.',

  'login.title': 'Log in to Mijn DUO business',
  'login.intro': 'Choose the sector you want to log in for and log in with your eHerkenning means (level EH3 or higher).',
  'login.sector': 'Sector',
  'login.sector.hint': 'Which sector do you log in for?',
  'login.sector.choose': 'Choose a sector',
  'login.sector.required': 'Choose the sector you want to log in for.',
  'login.eherkenning.heading': 'eHerkenning',
  'login.eherkenning.submit': 'Log in with eHerkenning',
  'login.links.heading': 'More options',
  'login.link.info': 'Applying for and using eHerkenning',
  'login.link.token': 'Log in with a token',
  'login.link.problems': 'Problems logging in',
  'login.back': 'To Log in to Mijn DUO business',

  'info.title': 'Applying for and using eHerkenning',
  'info.p1':
    'eHerkenning is a safe, easy and reliable login means with which administrators and users log in to Mijn DUO business and to other (government) organisations.',
  'info.need':
    'You need a personal eHerkenning means of level 3 or higher for the service ‘Mijn DUO voor zakelijke klanten’. Your organisation is responsible for acquiring it.',
  'info.li1': 'An eHerkenning means is personal and cannot be transferred. That gives more certainty about your online identity.',
  'info.li2':
    'With the same means you log in at every connected (government) organisation, provided it has the right level of assurance and an authorisation (machtiging) for that service.',
  'info.li3': 'An organisation must make sure its administrators and users each have their own eHerkenning means.',
  'info.li4': 'eHerkenning is offered by private companies; it costs money.',
  'info.steps.heading': 'How do you become a user of Mijn DUO?',
  'info.step1': 'You get a personal eHerkenning means of level 3 or higher for the service ‘Mijn DUO voor zakelijke klanten’.',
  'info.step2': 'The administrator of your organisation registers you as a user. You receive a confirmation e-mail.',
  'info.step3': 'The administrator hands you a letter with your username in person.',
  'info.step4': 'You ask your administrator for an activation code. You receive it by e-mail; it is valid for 24 hours.',
  'info.step5': 'You link your eHerkenning means to your Mijn DUO account once. From then on you log in with eHerkenning.',
  'info.more': 'More about eHerkenning and its suppliers at',

  'problems.title': 'Problems logging in',
  'problems.means': 'Is your eHerkenning means not working properly? Contact your administrator or the supplier of your eHerkenning means.',
  'problems.attention': 'Please note:',
  'problems.months':
    'If you have not logged in for the past 18 months, the link between your eHerkenning means and your Mijn DUO account has been undone. You need to link again.',
  'problems.lost':
    'Can you not log in because your eHerkenning means is broken, stolen or lost? Report this to your administrator at once. The link between your means and your Mijn DUO account is then undone. To regain access you link again with your (new) eHerkenning means.',
  'problems.koppel.heading': 'Problems while linking',
  'problems.blocked':
    'After 5 wrong combinations of username and activation code your account is blocked for 15 minutes. After that you can try again.',
  'problems.expired': 'Your activation code is valid for 24 hours. If it has expired, ask your administrator for a new one.',
  'problems.token': 'Once you have linked your eHerkenning means you can no longer log in with a token. Hand your token in to your administrator.',
  'problems.contact.heading': 'Contact',
  'problems.contact': 'Other problems logging in, or questions about the services? The DUO contact page lists the e-mail address or phone number of each service:',

  'terms.title': 'Terms of use of Mijn DUO business',
  'terms.version': 'Version {version}',
  'terms.intro': 'These terms apply to everyone who logs in to Mijn DUO business with eHerkenning.',
  'terms.1': 'You use Mijn DUO business only for the tasks your administrator gave you roles and attributes for.',
  'terms.2': 'Your eHerkenning means, username and activation code are personal. You do not give them to anyone else or let anyone else log in with them.',
  'terms.3': 'You handle the (sensitive) data you see in Mijn DUO business with care, in line with the General Data Protection Regulation (GDPR).',
  'terms.4': 'If your eHerkenning means is broken, stolen or lost, you report it to your administrator at once.',
  'terms.5': 'The link between your eHerkenning means and your account lapses when you have not logged in for 18 months, or when your administrator undoes it.',
  'terms.6': 'DUO records when you log in and link, so that misuse can be traced.',
  'terms.7': 'You keep your (contact) details in ‘My details’ up to date yourself.',

  'wizard.subheading': 'Link eHerkenning to your Mijn DUO account',
  'wizard.progress': 'Step {n} of {total}',
  'wizard.backTo.situatie': 'To My situation',
  'wizard.backTo.disclaimer': 'To Disclaimer',
  'wizard.backTo.voorwaarden': 'To Terms of use',
  'wizard.cancel': 'cancel and log out',
  'wizard.undone.replaced':
    'Your Mijn DUO account has since been linked to another eHerkenning means. To log in with this means, link again with a new activation code.',

  'wizard.situatie.title': 'Before you start',
  'wizard.situatie.p1': 'Welcome to the linking process. It links your eHerkenning means to your Mijn DUO account.',
  'wizard.situatie.p2': 'To complete it you need the username and a valid activation code of your Mijn DUO account.',
  'wizard.situatie.p3': 'After linking you can only log in with eHerkenning.',
  'wizard.situatie.legend': 'My situation',
  'wizard.situatie.wel': 'I have a username and a valid activation code',
  'wizard.situatie.geen': 'I do not have a username and/or a (valid) activation code',
  'wizard.situatie.required': 'Choose your situation.',

  'wizard.hulp.title': 'You cannot link yet',
  'wizard.hulp.p1': 'To link you need a username and a valid activation code.',
  'wizard.hulp.naam':
    'No username? Your administrator receives a letter with your username and hands it to you in person. Ask your administrator about it.',
  'wizard.hulp.code':
    'No activation code, or has it expired? Ask your administrator for a new activation code. You receive it by e-mail. A code is valid for 24 hours; a new code voids the previous one.',
  'wizard.hulp.then': 'Then log in with eHerkenning again and complete the linking process.',
  'wizard.hulp.cancel': 'Cancel and log out',

  'wizard.disclaimer.title': 'Disclaimer',
  'wizard.disclaimer.fraude.heading': 'Fraud',
  'wizard.disclaimer.fraude':
    'Knowingly assuming the identity of another person is identity fraud and punishable under Dutch law. Make sure you link with a username and activation code assigned and handed to you personally. If in doubt, ask the administrator of your organisation whether the username and activation code are yours.',
  'wizard.disclaimer.privacy.heading': 'Privacy',
  'wizard.disclaimer.privacy': 'To link, you provide a username and activation code. These may be traceable to your personal data.',

  'wizard.voorwaarden.title': 'Terms of use',
  'wizard.voorwaarden.p1': 'New terms of use were drawn up for eHerkenning. You must accept them to continue. You find them through the link below:',
  'wizard.voorwaarden.link': 'Go to the terms of use',

  'wizard.koppelen.required.gebruikersnaam': 'Enter your username.',
  'wizard.koppelen.required.activatiecode': 'Enter your activation code.',
  'wizard.blocked': 'You entered a wrong combination of username and activation code too often, so linking is blocked for now. You can try again after {time}.',
  'wizard.throttled': 'Too many attempts were made from your network. Please try again after {time}.',

  'token.title': 'Log in with a token',
  'token.intro': 'Log in with your username and the 6-digit code your token shows now.',
  'token.notice': 'Have you linked your eHerkenning means to your Mijn DUO account? Then you can no longer log in with a token. Log in with eHerkenning.',
  'token.gebruikersnaam': 'Username',
  'token.code': 'Code from your token',
  'token.code.hint': '6 digits',
  'token.submit': 'Log in',
  'token.required.gebruikersnaam': 'Enter your username.',
  'token.required.code': 'Enter the 6-digit code from your token.',
  'token.failed':
    'The combination of username and code is not correct. Check your username and try again with a new code from your token. After 5 wrong attempts, token login is blocked for 15 minutes.',
  'token.linked':
    'Once you have linked your eHerkenning means you can no longer log in with a token. Log in with eHerkenning and hand your token in to your administrator.',
  'token.blocked': 'You entered a wrong combination of username and code too often, so token login is blocked for now. You can try again after {time}.',
  'token.disabled': 'This account is blocked. Contact your administrator.',

  'error.accountDisabled.title': 'Your account is blocked',
  'error.accountDisabled.body': 'You cannot log in to Mijn DUO business because your account is blocked. Contact your administrator.',
};

addMessages('nl', nl);
addMessages('en', en);

/** Every key this module adds (for the completeness test). */
export const KOPPEL_MESSAGE_KEYS: readonly string[] = Object.keys(nl);
export const KOPPEL_MESSAGE_KEYS_EN: readonly string[] = Object.keys(en);
