export { explainText } from './recognise.js';
export { preparePaste, scrubSecrets, stripAnsi } from './clean.js';
export { detectSources } from './sources.js';
export { readPaste } from './input.js';
export type { Diagnosis, DiagnosisFacts, DiagnosisId, ExplainResult, PasteSource } from './types.js';
