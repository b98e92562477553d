// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**', 'scratch/**'] },
  js.configs.recommended,
  ...tseslint.configs.strictTypeChecked,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true, allowBoolean: true }],
      '@typescript-eslint/switch-exhaustiveness-check': 'error',
      complexity: ['warn', 20],
      'max-depth': ['warn', 4],
    },
  },
  {
    // The functional core stays pure: no I/O, no frameworks, no validation library.
    files: ['src/model/**', 'src/solver/**', 'src/domain/**'],
    rules: {
      '@typescript-eslint/no-restricted-imports': ['error', { patterns: [
        {
          group: ['@kubernetes/*', 'express', 'prom-client', 'zod', 'yaml', 'highs', 'node:*', '../cli/*', '../io/*', '../webhook/*'],
          message: 'model/solver/domain stay pure (functional core)',
        },
        // Types inferred from the zod schemas may be imported; their runtime code may not.
        { group: ['../config/*'], allowTypeImports: true, message: 'the pure core may import only types from config/' },
      ] }],
    },
  },
  {
    // node:test's test() and describe() return promises the runner itself awaits.
    files: ['test/**'],
    rules: {
      '@typescript-eslint/no-floating-promises': ['error', {
        allowForKnownSafeCalls: [{ from: 'package', package: 'node:test', name: ['test', 'describe', 'it', 'suite', 'before', 'after'] }],
      }],
      '@typescript-eslint/no-non-null-assertion': 'off',
    },
  },
  { files: ['**/*.js'], ...tseslint.configs.disableTypeChecked },
  { files: ['bin/**/*.js'], languageOptions: { globals: { process: 'readonly' } } },
);
