import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, inject } from 'vitest';
import { freePort } from '../../src/embedded/postgres.js';
import { commandWorks, runCommand, startService, waitForHttp, type Service } from './service.js';

/** The real apps live here (test/frameworks/README.md says what each contains). */
export const APPS_DIR = fileURLToPath(new URL('../frameworks/apps/', import.meta.url));

/** Debian's interpreter: the packaged Django/allauth/axes are in its dist-packages, not in a pyenv's. */
const PYTHON = '/usr/bin/python3';
const READY_TIMEOUT_MS = 60_000;
const MIGRATE_TIMEOUT_MS = 120_000;

export type MailSettings = { smtpHost: string; smtpPort: number } | { fileDir: string };

export interface StartAppOptions {
  /** The app's own database (a fresh one from createTestDatabase). */
  databaseUrl: string;
  mail?: MailSettings;
  /** App settings read from the environment (Django: ACCOUNT_EMAIL_CONFIRMATION_HMAC). */
  env?: Record<string, string>;
}

export interface RunningApp {
  stack: 'django' | 'rails' | 'express' | 'laravel';
  url: string;
  port: number;
  databaseUrl: string;
  /** Where the app writes its error log (Django's django.request tracebacks, Rails' tagged production log). */
  logFile: string;
  /** Where mail goes when the app was started without an SMTP catcher (the file backend's folder). */
  mailDir?: string;
  /** Milliseconds the framework's migrations took, and from spawn to the first HTTP answer. */
  migrateMs: number;
  readyMs: number;
  output(): string;
  stop(): Promise<void>;
}

export interface Availability {
  ok: boolean;
  reason: string;
}

/** describe, or describe.skip with the reason in its title and on stderr, so a skipped stack is never silent. */
export function describeFramework(name: string, availability: Availability, body: () => void): void {
  const dbSkip = inject('skipReason');
  const reason = !availability.ok ? availability.reason : dbSkip;
  if (reason) {
    process.stderr.write(`\n[healfix frameworks] SKIPPED ${name}: ${reason}\n`);
    describe.skip(`${name} (skipped: ${reason})`, body);
    return;
  }
  describe(name, body);
}

export function djangoAvailable(): Availability {
  const probe = commandWorks(PYTHON, ['-c', 'import django, allauth, axes, psycopg2; assert django.VERSION[:2] == (3, 2), django.VERSION']);
  return probe.ok ? { ok: true, reason: '' } : { ok: false, reason: `Django 3.2 + allauth + axes + psycopg2 not importable by ${PYTHON} (apt-get install python3-django python3-django-allauth python3-django-axes python3-psycopg2): ${lastLine(probe.output)}` };
}

export function railsAvailable(): Availability {
  const probe = commandWorks('ruby', ['-e', 'gem "rails", "~> 6.1"; require "rails"; require "devise"; require "pg"; require "puma"']);
  if (!probe.ok) return { ok: false, reason: `Rails 6.1 + Devise + pg + puma not loadable by ruby (apt-get install ruby-rails ruby-devise ruby-pg puma): ${lastLine(probe.output)}` };
  const puma = commandWorks('puma', ['--version']);
  return puma.ok ? { ok: true, reason: '' } : { ok: false, reason: `the puma command is missing (apt-get install puma): ${lastLine(puma.output)}` };
}

export function expressAvailable(): Availability {
  for (const name of ['express', 'express-session', 'cookie-parser', 'csrf-csrf', 'passport', 'passport-local']) {
    try {
      import.meta.resolve(name);
    } catch {
      return { ok: false, reason: `the npm package ${name} is not installed (npm install)` };
    }
  }
  return { ok: true, reason: '' };
}

export function laravelAvailable(): Availability {
  const probe = commandWorks('php', ['-r', 'require "Illuminate/autoload.php"; if (!extension_loaded("pdo_pgsql")) { fwrite(STDERR, "pdo_pgsql missing"); exit(1); } echo Illuminate\\Foundation\\Application::VERSION;']);
  return probe.ok && probe.output.startsWith('8.') ? { ok: true, reason: '' } : { ok: false, reason: `Laravel 8 (php-laravel-framework) with pdo_pgsql not loadable by php (apt-get install php-cli php-pgsql php-laravel-framework): ${lastLine(probe.output)}` };
}

/** Django 3.2 + allauth + axes: `manage.py migrate`, then runserver (DEBUG=False) on a free port. */
export async function startDjangoApp(options: StartAppOptions): Promise<RunningApp> {
  const cwd = join(APPS_DIR, 'django');
  const { env, logFile, port } = await appEnvironment('django', options);
  Object.assign(env, { PYTHONDONTWRITEBYTECODE: '1', DJANGO_SETTINGS_MODULE: 'signupapp.settings' });
  const mailDir = fileMailDir(options, logFile);
  if (mailDir) env.MAIL_FILE_PATH = mailDir;
  const migrateMs = await timed(() => runCommand(PYTHON, ['manage.py', 'migrate', '--noinput'], { cwd, env, timeoutMs: MIGRATE_TIMEOUT_MS }));
  const service = startService(PYTHON, ['manage.py', 'runserver', `127.0.0.1:${port}`, '--noreload', '--nothreading'], { cwd, env });
  return { ...(await running('django', service, { port, logFile, migrateMs, databaseUrl: options.databaseUrl, probePath: '/accounts/signup/' })), mailDir };
}

/** Rails 6.1 + Devise (production env, Debian gems, no Bundler): `bin/rails db:migrate`, then puma. */
export async function startRailsApp(options: StartAppOptions): Promise<RunningApp> {
  const cwd = join(APPS_DIR, 'rails');
  const { env, logFile, port } = await appEnvironment('rails', options);
  env.RAILS_ENV = 'production';
  const mailDir = fileMailDir(options, logFile);
  if (mailDir) env.MAIL_FILE_DIR = mailDir;
  const migrateMs = await timed(() => runCommand('ruby', ['bin/rails', 'db:migrate'], { cwd, env, timeoutMs: MIGRATE_TIMEOUT_MS }));
  const service = startService('puma', ['-b', `tcp://127.0.0.1:${port}`, '-e', 'production', '-t', '1:4', 'config.ru'], { cwd, env });
  return { ...(await running('rails', service, { port, logFile, migrateMs, databaseUrl: options.databaseUrl, probePath: '/users/sign_up' })), mailDir };
}

/** Express 5 + csrf-csrf + passport-local: its SQL migrations, then `node server.js`. */
export async function startExpressApp(options: StartAppOptions): Promise<RunningApp> {
  const cwd = join(APPS_DIR, 'express');
  const { env, logFile, port } = await appEnvironment('express', options);
  const migrateMs = await timed(() => runCommand(process.execPath, ['migrate.js'], { cwd, env, timeoutMs: MIGRATE_TIMEOUT_MS }));
  const service = startService(process.execPath, ['server.js'], { cwd, env });
  return running('express', service, { port, logFile, migrateMs, databaseUrl: options.databaseUrl, probePath: '/register' });
}

/**
 * Laravel 8 (Debian's php-laravel-framework, no Composer): `php artisan migrate --force`, then PHP's built-in
 * server with public/index.php as the router. Storage (sessions, compiled views) is a temporary folder.
 */
export async function startLaravelApp(options: StartAppOptions): Promise<RunningApp> {
  const cwd = join(APPS_DIR, 'laravel');
  const { env, logFile, port } = await appEnvironment('laravel', options);
  const storage = join(dirname(logFile), 'storage');
  for (const dir of ['framework/sessions', 'framework/views', 'framework/cache', 'logs']) mkdirSync(join(storage, dir), { recursive: true });
  Object.assign(env, {
    STORAGE_PATH: storage,
    APP_KEY: `base64:${randomBytes(32).toString('base64')}`,
    APP_PACKAGES_CACHE: join(storage, 'packages.php'),
    APP_SERVICES_CACHE: join(storage, 'services.php'),
    PHP_CLI_SERVER_WORKERS: '4',
  });
  const migrateMs = await timed(() => runCommand('php', ['artisan', 'migrate', '--force'], { cwd, env, timeoutMs: MIGRATE_TIMEOUT_MS }));
  const service = startService('php', ['-S', `127.0.0.1:${port}`, '-t', 'public', 'public/index.php'], { cwd, env });
  return running('laravel', service, { port, logFile, migrateMs, databaseUrl: options.databaseUrl, probePath: '/register' });
}

/**
 * The file backend's folder: the one the test named, or, when no mail setting was given at all, a folder next to
 * the log, so a signup never fails on an SMTP server nobody started. Undefined when mail goes to SMTP.
 */
function fileMailDir(options: StartAppOptions, logFile: string): string | undefined {
  if (options.mail && 'smtpHost' in options.mail) return undefined;
  const dir = options.mail?.fileDir ?? join(dirname(logFile), 'mail');
  mkdirSync(dir, { recursive: true });
  return dir;
}

/** Every stack by name, for suites that run the same scenario on each (issue 11's register-test matrix). */
export const FRAMEWORK_APPS = {
  django: { title: 'Django 3.2 + django-allauth + django-axes', available: djangoAvailable, start: startDjangoApp, signupPath: '/accounts/signup/' },
  rails: { title: 'Rails 6.1 + Devise 4.8', available: railsAvailable, start: startRailsApp, signupPath: '/users/sign_up' },
  express: { title: 'Express 5 + csrf-csrf + passport-local', available: expressAvailable, start: startExpressApp, signupPath: '/register' },
  laravel: { title: 'Laravel 8', available: laravelAvailable, start: startLaravelApp, signupPath: '/register' },
} as const;

async function appEnvironment(stack: string, options: StartAppOptions): Promise<{ env: Record<string, string>; logFile: string; port: number }> {
  const port = await freePort();
  const logFile = join(mkdtempSync(join(tmpdir(), `healfix-${stack}-`)), 'app.log');
  // A clean environment: the developer's own DATABASE_URL, RAILS_ENV or PYTHONPATH never leak into the app.
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: process.env.HOME ?? '/tmp',
    LANG: 'C.UTF-8',
    DATABASE_URL: options.databaseUrl,
    PORT: String(port),
    LOG_FILE: logFile,
    ...options.env,
  };
  if (options.mail && 'smtpHost' in options.mail) {
    env.SMTP_HOST = options.mail.smtpHost;
    env.SMTP_PORT = String(options.mail.smtpPort);
  }
  return { env, logFile, port };
}

async function running(
  stack: RunningApp['stack'],
  service: Service,
  info: { port: number; logFile: string; migrateMs: number; databaseUrl: string; probePath: string },
): Promise<RunningApp> {
  const url = `http://127.0.0.1:${info.port}`;
  const readyMs = await waitForHttp(`${url}${info.probePath}`, service, READY_TIMEOUT_MS).catch((error: unknown) => {
    rmSync(dirname(info.logFile), { recursive: true, force: true });
    throw error;
  });
  // stop() also removes the app's temporary folder (log, file mail, Laravel storage): read them before stopping.
  const stop = async () => {
    await service.stop();
    rmSync(dirname(info.logFile), { recursive: true, force: true });
  };
  return { stack, url, port: info.port, databaseUrl: info.databaseUrl, logFile: info.logFile, migrateMs: info.migrateMs, readyMs, output: service.output, stop };
}

async function timed(work: () => Promise<unknown>): Promise<number> {
  const started = Date.now();
  await work();
  return Date.now() - started;
}

function lastLine(text: string): string {
  return text.trim().split('\n').pop() ?? '';
}
