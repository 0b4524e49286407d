import { describe, expect, it } from 'vitest';
import { UsageError } from '../../src/errors.js';
import { parseTargetsFile, withDatabaseName } from '../../src/fleet/targets.js';
import { worstExit } from '../../src/fleet/run-fleet.js';
import { fromUrl, type PostgresTarget } from '../../src/db/target.js';

describe('fleet targets', () => {
  it('reads one URL a line, skips comments and blank lines, expands ${VAR} from the environment', () => {
    const text = ['# tenants', '', 'postgres://app:${PW}@db1:5432/tenant_a   # the first', '  postgres://app@db2/tenant_b', '#postgres://old/gone'].join('\n');
    expect(parseTargetsFile(text, { PW: 's3cr#t' })).toEqual(['postgres://app:s3cr#t@db1:5432/tenant_a', 'postgres://app@db2/tenant_b']);
    expect(() => parseTargetsFile('postgres://a@b/c\npostgres://${USERX}@b/d', {}, 'fleet.txt')).toThrow(new UsageError('fleet.txt line 2: ${USERX} is not set in the environment'));
  });

  it('points a target at another database of the same server, password still masked', () => {
    const t = fromUrl('postgres://app:pw@db1:5432/postgres?sslmode=require', '--database-url') as PostgresTarget;
    const other = withDatabaseName(t, 'tenant_a');
    expect(other.database).toBe('tenant_a');
    expect(other.connectionString).toContain('/tenant_a?sslmode=require');
    expect(other.display).toBe('postgres://app:****@db1:5432/tenant_a?sslmode=require&uselibpqcompat=true');
  });

  it('exits with the worst database', () => {
    expect(worstExit([{ exitCode: 0 }, { exitCode: 1 }, { exitCode: 0 }])).toBe(1);
    expect(worstExit([{ exitCode: 1 }, { exitCode: 2 }])).toBe(2);
    expect(worstExit([])).toBe(0);
  });
});
