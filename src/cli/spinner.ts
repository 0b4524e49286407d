/** Progress reporting for long steps: an ora spinner on stderr, only on a TTY and never under --json. */
export interface Progress {
  update(text: string): void;
  succeed(text?: string): void;
  fail(text?: string): void;
  stop(): void;
}

const SILENT: Progress = { update() {}, succeed() {}, fail() {}, stop() {} };

export async function startProgress(text: string, options: { json?: boolean } = {}): Promise<Progress> {
  if (options.json || !process.stderr.isTTY || process.env.CI) return SILENT;
  const { default: ora } = await import('ora');
  const spinner = ora({ text, stream: process.stderr }).start();
  return {
    update: (t) => void (spinner.text = t),
    succeed: (t) => void spinner.succeed(t),
    fail: (t) => void spinner.fail(t),
    stop: () => void spinner.stop(),
  };
}
