// ESLint flat config: typescript-eslint's recommended rules over sources, tests, benches and deploy
// scripts (`npm run lint`, run by .ci/run). Type-aware rules are left out: see README "Tests".
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'bench/.data/', 'demo-output/', 'test-output/', 'out/', 'reports/', 'tmp/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      // A leading underscore names what is left unused on purpose: the type taken out of an
      // operator entry before its settings are validated, an ignored tuple element.
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_', ignoreRestSiblings: true },
      ],
    },
  },
  {
    // Deploy scripts are plain Node ESM.
    files: ['**/*.mjs', '**/*.js'],
    languageOptions: { globals: globals.node },
  },
  {
    // Benches edit the default job as an untyped YAML document; they have no public surface for
    // `any` to leak through (STYLE: no `any` on public surfaces).
    files: ['bench/**/*.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
);
