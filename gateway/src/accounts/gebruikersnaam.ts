// The gebruikersnaam printed on the letter: 4 digits then 4 lower-case letters, like `1234abcd`.
// Digits and letters keep their own positions, so 0/o and 1/l cannot be mixed up when typed.
import { randomInt } from 'node:crypto';

const LETTERS = 'abcdefghijklmnopqrstuvwxyz';
const ALLOWED = /^[a-z0-9._-]{3,64}$/;

/** People type it in any case and with stray spaces; it is stored and compared lower case. */
export function normaliseGebruikersnaam(input: string): string {
  return input.trim().toLowerCase();
}

/** Whether a (normalised) gebruikersnaam given by a beheerder or the CLI is acceptable. */
export function isValidGebruikersnaam(name: string): boolean {
  return ALLOWED.test(name);
}

/** A fresh random name; uniqueness is the database's to decide (unique constraint + retry). */
export function generateGebruikersnaam(): string {
  let name = '';
  for (let i = 0; i < 4; i++) name += String(randomInt(10));
  for (let i = 0; i < 4; i++) name += LETTERS[randomInt(LETTERS.length)];
  return name;
}
