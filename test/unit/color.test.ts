import { afterEach, describe, expect, it } from 'vitest';
import { chalk, configureColor } from '../../src/report/color.js';

describe('colour follows NO_COLOR and FORCE_COLOR', () => {
  const saved = chalk.level;
  afterEach(() => {
    chalk.level = saved;
  });

  it('NO_COLOR turns colour off even on a terminal', () => {
    configureColor({ NO_COLOR: '1' }, { isTTY: true });
    expect(chalk.level).toBe(0);
    expect(chalk.red('x')).toBe('x');
  });

  it('FORCE_COLOR wins over NO_COLOR and over a pipe; FORCE_COLOR=0 turns it off', () => {
    configureColor({ NO_COLOR: '1', FORCE_COLOR: '2' }, { isTTY: false });
    expect(chalk.level).toBe(2);
    expect(chalk.red('x')).not.toBe('x');
    configureColor({ FORCE_COLOR: '0' }, { isTTY: true });
    expect(chalk.level).toBe(0);
  });

  it('a pipe gets no colour by default', () => {
    chalk.level = 1;
    configureColor({}, { isTTY: false });
    expect(chalk.level).toBe(0);
  });
});
