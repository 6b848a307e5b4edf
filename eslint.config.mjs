import tseslint from 'typescript-eslint';

// "No hand-written source file over ~400 lines", counted as the file's lines: blank lines and
// comments count too (a file is read whole). Tests may run longer: one case per scenario.
const maxLines = (max) => ['error', { max, skipBlankLines: false, skipComments: false }];

export default tseslint.config(
  {
    ignores: [
      'dist/**',
      'bench/results/**',
      'node_modules/**',
      'src/generated/**',
      'resolvers/generated/**',
      'coverage/**',
      'scripts/cassandra/wait-ready.js',
    ],
  },
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    files: ['**/*.js', '**/*.cjs'],
    languageOptions: { sourceType: 'commonjs', globals: { module: 'writable', require: 'readonly', process: 'readonly', __dirname: 'readonly', console: 'readonly' } },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    files: ['src/**', 'resolvers/**', 'rollup/**', 'bench/**', 'scripts/**'],
    rules: { 'max-lines': maxLines(400) },
  },
  {
    files: ['tests/**'],
    rules: { 'max-lines': maxLines(600) },
  },
);
