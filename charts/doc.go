// Package charts holds no code: the Helm charts live beside it and its
// test renders, lints and dry-runs them.
package charts
