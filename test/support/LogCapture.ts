// A writable stream that keeps what a logger writes, for tests that read the JSON log lines.
import { Writable } from 'node:stream';

export class LogCapture extends Writable {
  text = '';
  override _write(chunk: Buffer, _enc: BufferEncoding, cb: () => void): void {
    this.text += chunk.toString('utf8');
    cb();
  }
  lines(): Array<Record<string, unknown>> {
    return this.text
      .split('\n')
      .filter((l) => l.trim() !== '')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
  }
}
