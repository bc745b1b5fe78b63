// The lint gate of `npm test` (`npm run lint`): typescript-eslint's type-checked recommendations.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['node_modules/', '.data/', '**/*.js', '**/*.cjs'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      // fastify plugins and handlers are async by contract, whether or not they await.
      '@typescript-eslint/require-await': 'off',
      // `const { secret: _secret, ...shown } = x` leaves out a field on purpose.
      '@typescript-eslint/no-unused-vars': ['error', { varsIgnorePattern: '^_', argsIgnorePattern: '^_', ignoreRestSiblings: true }],
    },
  },
  {
    files: ['**/*.test.ts', 'test/**/*.ts'],
    rules: {
      // vitest's asymmetric matchers (expect.any, expect.stringContaining…) are typed `any`.
      '@typescript-eslint/no-unsafe-assignment': 'off',
      // A test compares methods as values (an override installed on a prototype) and takes a driver's functions apart.
      '@typescript-eslint/unbound-method': 'off',
    },
  },
);
