import type { ReadStream } from 'node:tty';

type Input = NodeJS.ReadableStream & Partial<Pick<ReadStream, 'isTTY' | 'setRawMode'>>;

/**
 * A password for the CLI. Piped (stdin not a terminal): its first line, so
 * `printf '%s\n' "$PW" | npm run admin:create -- --user x` works in scripts. On a terminal:
 * asked without echo, and asked again to confirm when `confirm` (a mismatch is an error).
 */
export async function readPassword(
  input: Input,
  prompt: NodeJS.WritableStream,
  confirm: boolean,
): Promise<string> {
  if (!input.isTTY) return firstLine(input);
  const first = await ask(input, prompt, 'Password: ');
  if (!confirm) return first;
  const second = await ask(input, prompt, 'Again: ');
  if (first !== second) throw new Error('the two passwords differ');
  return first;
}

async function firstLine(input: NodeJS.ReadableStream): Promise<string> {
  let text = '';
  for await (const chunk of input) {
    text += typeof chunk === 'string' ? chunk : chunk.toString('utf8');
    if (text.includes('\n')) break;
  }
  return text.split('\n')[0]!.replace(/\r$/, '');
}

/** One line typed without echo (raw mode): Enter ends it, Backspace erases, Ctrl-C/Ctrl-D abort. */
function ask(input: Input, prompt: NodeJS.WritableStream, label: string): Promise<string> {
  prompt.write(label);
  input.setRawMode!(true);
  input.resume();
  return new Promise((resolve, reject) => {
    let value = '';
    const done = (err: Error | null) => {
      input.setRawMode!(false);
      input.pause();
      input.removeListener('data', onData);
      prompt.write('\n');
      if (err) reject(err);
      else resolve(value);
    };
    const onData = (chunk: Buffer | string) => {
      for (const ch of typeof chunk === 'string' ? chunk : chunk.toString('utf8')) {
        if (ch === '\r' || ch === '\n') return done(null);
        if (ch === '\u0003' || ch === '\u0004') return done(new Error('cancelled'));
        if (ch === '\u007f' || ch === '\b') value = value.slice(0, -1);
        else value += ch;
      }
    };
    input.on('data', onData);
  });
}
