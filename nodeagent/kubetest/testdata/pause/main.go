// Command pause is the sandbox ("pause") container of kubetest's nodes:
// it holds a pod's namespaces, reaps the zombies of a pod sharing its
// process namespace, and exits on SIGTERM or SIGINT. Built static
// (CGO_ENABLED=0) by kubetest into the node's pause image.
package main

import (
	"os"
	"os/signal"
	"syscall"
)

func main() {
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGTERM, syscall.SIGINT)
	children := make(chan os.Signal, 1)
	signal.Notify(children, syscall.SIGCHLD)
	for {
		select {
		case <-stop:
			return
		case <-children:
			for {
				var ws syscall.WaitStatus
				pid, err := syscall.Wait4(-1, &ws, syscall.WNOHANG, nil)
				if pid <= 0 || err != nil {
					break
				}
			}
		}
	}
}
