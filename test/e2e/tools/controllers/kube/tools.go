//go:build tools

// The scheduler and controller manager the e2e controller tier builds, listed so `go mod tidy`
// keeps them.
package tools

import (
	_ "k8s.io/kubernetes/cmd/kube-controller-manager"
	_ "k8s.io/kubernetes/cmd/kube-scheduler"
)
