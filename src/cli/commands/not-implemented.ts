import { HealfixError } from '../../errors.js';

export class NotImplementedYet extends HealfixError {
  constructor(command: string) {
    super(`healfix ${command} is not implemented yet`);
  }
}
