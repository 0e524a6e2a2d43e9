// The Mailer port and its implementations: SMTP (production, mail.smtpUrl) and a development
// outbox that writes every mail to mail.outboxDir as an .eml file (the real MIME message, open
// it in any mail client) plus a .json file with the same content (easy to read in tests and
// by the dev starter). The outbox holds activation codes: it is for development only.
import crypto from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import nodemailer from 'nodemailer';
import type { Config } from '../config.ts';
import { projectPath } from '../config.ts';
import type { Clock } from '../clock.ts';
import { systemClock } from '../clock.ts';

export interface MailMessage {
  to: string;
  subject: string;
  text: string;
  html?: string;
}

export interface Mailer {
  send(msg: MailMessage): Promise<void>;
}

/** What the outbox writes as JSON next to each .eml file. */
export interface OutboxRecord extends MailMessage {
  from: string;
  /** ISO time the mail was "sent". */
  date: string;
  messageId: string;
  /** File name of the .eml next to it. */
  eml: string;
}

function toNodemailer(from: string, msg: MailMessage, date?: Date) {
  return {
    from,
    to: msg.to,
    subject: msg.subject,
    text: msg.text,
    ...(msg.html ? { html: msg.html } : {}),
    ...(date ? { date } : {}),
  };
}

/** Sends through an SMTP server, e.g. `smtp://relay.internal:25` or `smtps://user:pass@host:465`. */
export function createSmtpMailer(smtpUrl: string, from: string): Mailer & { close(): void } {
  const transport = nodemailer.createTransport(smtpUrl);
  return {
    async send(msg) {
      await transport.sendMail(toNodemailer(from, msg));
    },
    close() {
      transport.close();
    },
  };
}

async function writeAtomic(file: string, data: string | Buffer): Promise<void> {
  const tmp = `${file}.${process.pid}.${crypto.randomBytes(4).toString('hex')}.tmp`;
  await fs.writeFile(tmp, data, { mode: 0o600 });
  await fs.rename(tmp, file);
}

/** Writes each mail into `dir` as `<time>-<id>.eml` and `<time>-<id>.json`. */
export function createOutboxMailer(dir: string, from: string, clock: Clock = systemClock): Mailer & { dir: string } {
  const transport = nodemailer.createTransport({ streamTransport: true, buffer: true, newline: 'unix' });
  return {
    dir,
    async send(msg) {
      const date = new Date(clock.now());
      const info = await transport.sendMail(toNodemailer(from, msg, date));
      const raw = info.message as Buffer;
      await fs.mkdir(dir, { recursive: true });
      const base = `${date.toISOString().replace(/[:.]/g, '-')}-${crypto.randomBytes(4).toString('hex')}`;
      const record: OutboxRecord = {
        from,
        to: msg.to,
        subject: msg.subject,
        text: msg.text,
        ...(msg.html ? { html: msg.html } : {}),
        date: date.toISOString(),
        messageId: info.messageId,
        eml: `${base}.eml`,
      };
      await writeAtomic(path.join(dir, `${base}.eml`), raw);
      await writeAtomic(path.join(dir, `${base}.json`), JSON.stringify(record, null, 2) + '\n');
    },
  };
}

/** Read back the outbox, oldest first (development tools and tests). */
export async function readOutbox(dir: string): Promise<OutboxRecord[]> {
  let names: string[];
  try {
    names = await fs.readdir(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  const records: OutboxRecord[] = [];
  for (const n of names.filter((n) => n.endsWith('.json')).sort()) {
    records.push(JSON.parse(await fs.readFile(path.join(dir, n), 'utf8')) as OutboxRecord);
  }
  return records;
}

/** Keeps mails in memory: for tests at the mail boundary. */
export class MemoryMailer implements Mailer {
  readonly sent: MailMessage[] = [];
  async send(msg: MailMessage): Promise<void> {
    this.sent.push({ ...msg });
  }
}

/** SMTP when mail.smtpUrl is set, otherwise the development outbox. */
export function createMailer(cfg: Config, clock: Clock = systemClock): Mailer {
  if (cfg.mail.smtpUrl) return createSmtpMailer(cfg.mail.smtpUrl, cfg.mail.from);
  if (cfg.env === 'production') {
    // The outbox would put activation codes on disk in plain text.
    throw new Error('mail.smtpUrl (SMTP_URL) is required in production; the file outbox is for development only');
  }
  return createOutboxMailer(projectPath(cfg.mail.outboxDir), cfg.mail.from, clock);
}
