// Mantine's PostCSS preset: light-dark(), rem() and the breakpoint mixins.
export default {
  plugins: {
    "postcss-preset-mantine": {},
  },
};
