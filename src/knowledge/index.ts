/** Every stack healfix knows, as a plain list. Order: apps first, then frameworks. */
import { devise } from './devise.js';
import { djangoAllauth } from './django-allauth.js';
import { djangoAxes } from './django-axes.js';
import { expressPassport } from './express-passport.js';
import { flaskSecurity } from './flask-security.js';
import { laravel } from './laravel.js';
import { realworld } from './realworld.js';
import { django } from './django.js';
import { healingSpace } from './healing-space.js';
import { rails } from './rails.js';
import { sana } from './sana.js';
import type { StackKnowledge } from './types.js';

export const STACKS: readonly StackKnowledge[] = [healingSpace, sana, realworld, django, djangoAllauth, djangoAxes, rails, devise, laravel, flaskSecurity, expressPassport];

export type * from './types.js';
