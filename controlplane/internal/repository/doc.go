// Package repository holds the value types that cross from the git feature
// to the features reading or merging a project's repository (pipeline,
// project's merge requests). It is a leaf: git implements the consumers'
// interfaces with these types, and no feature imports another to share
// them.
package repository
