package process

// NewWithDefaultSecretsDir is New with dir in place of /dev/shm, the
// secrets directory used when Options.SecretsDir is empty.
func NewWithDefaultSecretsDir(o Options, dir string) (*Runner, error) {
	return newRunner(o, dir)
}
