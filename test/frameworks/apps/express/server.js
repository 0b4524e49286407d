// The smallest Express 5 signup app healfix's tests run against: an HTML form at /register with a csrf-csrf hidden
// input, a `users` row per account, passport-local login. Configured by DATABASE_URL, PORT and LOG_FILE.
import { randomBytes, scrypt as scryptCallback, timingSafeEqual } from 'node:crypto';
import { appendFileSync } from 'node:fs';
import { promisify } from 'node:util';
import cookieParser from 'cookie-parser';
import { doubleCsrf } from 'csrf-csrf';
import express from 'express';
import session from 'express-session';
import passport from 'passport';
import { Strategy as LocalStrategy } from 'passport-local';
import pg from 'pg';

const scrypt = promisify(scryptCallback);
const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL });
const secret = process.env.SESSION_SECRET ?? 'healfix-test-app-not-a-secret';
const logFile = process.env.LOG_FILE;

async function hashPassword(password) {
  const salt = randomBytes(16);
  const key = await scrypt(password, salt, 64);
  return `scrypt$${salt.toString('hex')}$${key.toString('hex')}`;
}

async function passwordMatches(password, stored) {
  const [, salt, key] = stored.split('$');
  const candidate = await scrypt(password, Buffer.from(salt, 'hex'), 64);
  return timingSafeEqual(candidate, Buffer.from(key, 'hex'));
}

passport.use(
  new LocalStrategy({ usernameField: 'email' }, async (email, password, done) => {
    try {
      const { rows } = await pool.query('select id, email, password_hash from users where email = $1', [email.toLowerCase()]);
      if (!rows[0] || !(await passwordMatches(password, rows[0].password_hash))) return done(null, false, { message: 'Invalid email or password.' });
      return done(null, { id: rows[0].id, email: rows[0].email });
    } catch (error) {
      return done(error);
    }
  }),
);
passport.serializeUser((user, done) => done(null, user.id));
passport.deserializeUser(async (id, done) => {
  try {
    const { rows } = await pool.query('select id, email from users where id = $1', [id]);
    done(null, rows[0] ?? false);
  } catch (error) {
    done(error);
  }
});

const { generateCsrfToken, doubleCsrfProtection } = doubleCsrf({
  getSecret: () => secret,
  getSessionIdentifier: (req) => req.session.id,
  cookieName: 'x-csrf-token',
  cookieOptions: { sameSite: 'lax', secure: false, httpOnly: true, path: '/' },
  getCsrfTokenFromRequest: (req) => req.body?._csrf ?? req.headers['x-csrf-token'],
});

const escape = (s) => String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function page(title, body) {
  return `<!DOCTYPE html>\n<html><head><title>${title}</title></head><body>\n<h1>${title}</h1>\n${body}\n</body></html>\n`;
}

function registerForm(req, res, { errors = [], email = '' } = {}) {
  const list = errors.length ? `<ul class="errors">${errors.map((e) => `<li>${escape(e)}</li>`).join('')}</ul>\n` : '';
  return page(
    'Register',
    `${list}<form method="post" action="/register">
  <input type="hidden" name="_csrf" value="${escape(generateCsrfToken(req, res))}">
  <label>Email <input type="email" name="email" autocomplete="email" value="${escape(email)}" required></label>
  <label>Password <input type="password" name="password" autocomplete="new-password" required></label>
  <label>Confirm password <input type="password" name="password_confirmation" autocomplete="new-password" required></label>
  <button type="submit">Sign up</button>
</form>
<a href="/login">Log in</a>`,
  );
}

function loginForm(req, res, { error } = {}) {
  return page(
    'Log in',
    `${error ? `<ul class="errors"><li>${escape(error)}</li></ul>\n` : ''}<form method="post" action="/login">
  <input type="hidden" name="_csrf" value="${escape(generateCsrfToken(req, res))}">
  <label>Email <input type="email" name="email" autocomplete="email" required></label>
  <label>Password <input type="password" name="password" autocomplete="current-password" required></label>
  <button type="submit">Log in</button>
</form>`,
  );
}

function validate({ email = '', password = '', password_confirmation: confirmation = '' }) {
  const errors = [];
  if (!/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(email)) errors.push('Email is not a valid address.');
  if (password.length < 8) errors.push('Password must be at least 8 characters.');
  if (password !== confirmation) errors.push('Passwords do not match.');
  return errors;
}

const app = express();
app.use(express.urlencoded({ extended: false }));
app.use(cookieParser());
app.use(session({ secret, resave: false, saveUninitialized: true, cookie: { sameSite: 'lax' } }));
app.use(passport.session());
app.use(doubleCsrfProtection);

app.get('/', (req, res) => {
  res.send(page('Home', req.user ? `Signed in as ${escape(req.user.email)}` : '<a href="/register">Sign up</a> <a href="/login">Log in</a>'));
});
app.get('/register', (req, res) => res.send(registerForm(req, res)));
app.post('/register', async (req, res, next) => {
  const email = String(req.body.email ?? '').trim().toLowerCase();
  const errors = validate({ ...req.body, email });
  if (errors.length) return res.status(422).send(registerForm(req, res, { errors, email }));
  try {
    await pool.query('insert into users (email, password_hash) values ($1, $2)', [email, await hashPassword(req.body.password)]);
  } catch (error) {
    if (error.code === '23505' && error.constraint === 'users_email_key') {
      return res.status(422).send(registerForm(req, res, { errors: ['Email is already registered.'], email }));
    }
    return next(error);
  }
  res.redirect(302, '/login?registered=1');
});
app.get('/login', (req, res) => res.send(loginForm(req, res)));
app.post('/login', (req, res, next) => {
  passport.authenticate('local', (error, user, info) => {
    if (error) return next(error);
    if (!user) return res.status(401).send(loginForm(req, res, { error: info?.message }));
    req.logIn(user, (loginError) => (loginError ? next(loginError) : res.redirect(302, '/')));
  })(req, res, next);
});

// Errors: csrf-csrf's ForbiddenError answers 403; anything else is a 500 whose stack goes to LOG_FILE.
app.use((error, req, res, _next) => {
  const status = error.code === 'EBADCSRFTOKEN' || error.status === 403 ? 403 : 500;
  const line = `${new Date().toISOString()} ${req.method} ${req.originalUrl} ${status} ${error.stack ?? error}\n`;
  if (logFile) appendFileSync(logFile, line);
  else process.stderr.write(line);
  res.status(status).send(page(status === 403 ? 'Forbidden' : 'Internal Server Error', status === 403 ? 'invalid csrf token' : 'Something went wrong.'));
});

const port = Number(process.env.PORT ?? 3000);
app.listen(port, '127.0.0.1', () => process.stdout.write(`listening on http://127.0.0.1:${port}\n`));
