/**
 * django-otp (django-otp/django-otp src/django_otp/models.py SideChannelDevice; plugins/otp_email
 * models.py `otp_email_emaildevice(user_id, name, confirmed, token, valid_until, …)`; Its ThrottlingMixin
 * back-off, factor * 2^(n-1) s, has no end column healfix could read: not modelled as a lockout). A device row is the user's second factor, not a code:
 * the code is token (cleared on use), valid until valid_until. Devices are never purged.
 */
import type { StackKnowledge } from './types.js';

export const djangoOtp: StackKnowledge = {
  id: 'django-otp',
  title: 'django-otp (email device)',
  kind: 'framework',
  recognise: { tables: [{ table: 'otp_email_emaildevice', columns: ['user_id', 'token', 'valid_until'] }] },
  pending: {
    tables: [
      {
        role: 'code',
        table: 'otp_email_emaildevice',
        key: 'id',
        identifier: 'user_id',
        expires: { kind: 'column', column: 'valid_until' },
        used: { column: 'token', isNull: true },
        secret: { column: 'token', hashed: false },
        // The row is the user's device: deleting it would remove their second factor.
        rowsAreAccounts: true,
        meaning: 'the email device of user_id: the code in token is valid until valid_until (OTP_EMAIL_TOKEN_VALIDITY, default 300 s) and cleared when used; the device itself is never purged',
      },
    ],
    accounts: { table: 'auth_user', email: 'email' },
  },
};
