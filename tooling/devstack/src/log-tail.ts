/** Keeps the last lines of a child's output so start-up failures can say why they failed. */
export class LogTail {
  private readonly lines: string[] = [];
  private readonly forward: ((line: string) => void) | undefined;
  private readonly max: number;

  constructor(forward?: (line: string) => void, max = 50) {
    this.forward = forward;
    this.max = max;
  }

  push(chunk: string): void {
    for (const raw of chunk.split(/\r?\n/)) {
      const line = raw.trimEnd();
      if (!line) continue;
      this.lines.push(line);
      if (this.lines.length > this.max) this.lines.shift();
      this.forward?.(line);
    }
  }

  toString(): string {
    return this.lines.join('\n');
  }
}
