/**
 * django-allauth (pennersr/django-allauth allauth/account/models.py, app_settings.py). An unverified
 * address is pending; confirmation rows exist only with ACCOUNT_EMAIL_CONFIRMATION_HMAC = False (the
 * default True keeps none: then only the unverified addresses are visible).
 */
import type { StackKnowledge } from './types.js';

const DAY = 86_400_000;

export const djangoAllauth: StackKnowledge = {
  id: 'django-allauth',
  title: 'django-allauth',
  kind: 'framework',
  recognise: {
    tables: [{ table: 'account_emailaddress', columns: ['user_id', 'email', 'verified', 'primary'] }],
    probes: [{ method: 'GET', path: '/accounts/signup/', status: 200, body: /name="csrfmiddlewaretoken"/, means: 'serves allauth\'s signup form' }],
  },
  // allauth saves the user, then its address, then sends the confirmation, each in its own statement
  // (no ATOMIC_REQUESTS by default): a duplicate key on account_emailaddress leaves an auth_user row.
  signupWrites: {
    writes: ['auth_user', 'account_emailaddress', 'account_emailconfirmation'],
    atomic: false,
    orphan: {
      table: 'auth_user',
      key: 'id',
      missing: 'account_emailaddress',
      foreignKey: 'user_id',
      meaning: 'a user without an email address row: the signup failed after saving the user, so the person cannot log in or confirm, and signing up again says the address is taken',
    },
  },
  signupProfile: {
    kind: 'form',
    paths: ['/accounts/signup/'],
    marker: /name="csrfmiddlewaretoken"[\s\S]*name="password1"|id="signup_form"/,
    csrfField: 'csrfmiddlewaretoken',
    csrfCookie: { cookie: 'csrftoken', header: 'X-CSRFToken' },
    csrfRefusedStatus: 403,
    fields: { password: ['password1'], passwordConfirmation: ['password2'] },
    account: { table: 'account_emailaddress', column: 'email', value: '{{email}}' },
    cleanup: [
      { table: 'account_emailaddress', column: 'email', value: '{{email}}' },
      { table: 'auth_user', column: 'email', value: '{{email}}' },
    ],
    successStatus: [302],
    confirm: { kind: 'form', successStatus: [302] },
    means: 'allauth\'s signup form (email, password1, password2, csrfmiddlewaretoken); a 302 to the confirm-email page means accepted',
  },
  pending: {
    tables: [
      {
        role: 'signup',
        table: 'account_emailaddress',
        key: 'id',
        email: 'email',
        pending: { column: 'verified', equals: false },
        expires: { kind: 'never' },
        rowsAreAccounts: true,
        meaning: 'an address waits for confirmation while verified is false; the row belongs to an account (auth_user) and is never purged',
      },
      {
        role: 'code',
        table: 'account_emailconfirmation',
        key: 'id',
        identifier: 'email_address_id',
        email: { via: 'account_emailaddress', localColumn: 'email_address_id', foreignColumn: 'id', emailColumn: 'email' },
        created: 'created',
        expires: {
          kind: 'start-plus',
          column: 'sent',
          interval: { setting: 'ACCOUNT_EMAIL_CONFIRMATION_EXPIRE_DAYS', defaultMs: 3 * DAY, where: 'settings.py', unitMs: DAY },
        },
        secret: { column: 'key', hashed: false },
        rowsAreAccounts: false,
        usedOnceOwnerConfirmed: true,
        rowsOnlyWhen: 'ACCOUNT_EMAIL_CONFIRMATION_HMAC = False (the default HMAC links carry their own timestamp and are stored nowhere)',
        meaning: 'a confirmation link sent at `sent`, valid for ACCOUNT_EMAIL_CONFIRMATION_EXPIRE_DAYS (default 3); a row never sent (sent is null) cannot be used',
      },
    ],
    accounts: { table: 'auth_user', email: 'email' },
  },
  errors: [
    {
      id: 'confirmation-expired',
      match: /This e-?mail confirmation link expired or is invalid/i,
      title: 'The email confirmation link expired or is invalid',
      cause: 'allauth accepts a confirmation link for ACCOUNT_EMAIL_CONFIRMATION_EXPIRE_DAYS (default 3) after it was sent; an older link, one already used, or one whose address was removed is refused.',
      fix: 'Ask for a new confirmation mail from the account\'s email page; lengthen ACCOUNT_EMAIL_CONFIRMATION_EXPIRE_DAYS if users routinely confirm late.',
      check: ['healfix temp-registrations --email {email}'],
    },
  ],
};
