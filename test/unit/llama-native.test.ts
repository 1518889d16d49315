import { expect, test } from 'vitest';
import { INSTALL_COMMAND, importNodeLlamaCpp } from '../../bench/peers/llama-native';

test('without node-llama-cpp the harness says how to install it', async () => {
  await expect(importNodeLlamaCpp('/nonexistent', 'node-llama-cpp-absent')).rejects.toThrow(
    new RegExp(`^node-llama-cpp is not installed \\(.*\\)\\. Install it with \`bash scripts/install-llama-cpp.sh\` \\(runs: ${INSTALL_COMMAND.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\)\\.$`),
  );
});
