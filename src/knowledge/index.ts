/** Every stack healfix knows, as a plain list. Order: apps first, then frameworks. */
import { authjs } from './authjs.js';
import { betterAuth } from './better-auth.js';
import { devise } from './devise.js';
import { djangoAllauth } from './django-allauth.js';
import { djangoAxes } from './django-axes.js';
import { djangoOtp } from './django-otp.js';
import { expressPassport } from './express-passport.js';
import { flaskSecurity } from './flask-security.js';
import { realworld } from './realworld.js';
import { django } from './django.js';
import { flaskLimiter } from './flask-limiter.js';
import { healingSpace } from './healing-space.js';
import { laravel } from './laravel.js';
import { phoenix } from './phoenix.js';
import { rackAttack } from './rack-attack.js';
import { rails } from './rails.js';
import { rateLimiterFlexible } from './rate-limiter-flexible.js';
import { rodauth } from './rodauth.js';
import { sana } from './sana.js';
import { supabase } from './supabase.js';
import type { StackKnowledge } from './types.js';

export const STACKS: readonly StackKnowledge[] = [healingSpace, sana, realworld, django, djangoAllauth, djangoAxes, rails, devise, laravel,
  flaskSecurity, expressPassport, authjs, supabase, betterAuth, djangoOtp, phoenix, rodauth, rateLimiterFlexible, flaskLimiter, rackAttack];

export type * from './types.js';
