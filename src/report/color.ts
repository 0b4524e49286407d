import chalk from 'chalk';

/**
 * chalk honours FORCE_COLOR but ignores NO_COLOR (chalk/supports-color#74), so map it here.
 * NO_COLOR (any non-empty value) wins unless FORCE_COLOR is set explicitly.
 */
export function configureColor(env: NodeJS.ProcessEnv = process.env, stream: { isTTY?: boolean } = process.stdout): void {
  const force = env.FORCE_COLOR;
  if (force !== undefined && force !== '') {
    chalk.level = force === '0' || force === 'false' ? 0 : Math.min(3, Math.max(1, Number(force) || 1)) as 1 | 2 | 3;
    return;
  }
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') {
    chalk.level = 0;
    return;
  }
  if (!stream.isTTY) chalk.level = 0;
}

// Configured on first import, so chalk (slow to load) stays off the start-up path of --version and --help.
configureColor();

export { chalk };
