// Regenerates schema/result.schema.json from src/result/schema.ts (`npm run schema`).
import { writeFileSync } from 'node:fs';
import { resultJsonSchema } from '../src/schema/result';

const target = new URL('../schema/result.schema.json', import.meta.url);
writeFileSync(target, JSON.stringify(resultJsonSchema(), null, 2) + '\n');
console.log(`wrote ${target.pathname}`);
