//go:build tools

// The controllers the e2e controller tier builds from other modules, listed so `go mod tidy`
// keeps them.
package tools

import (
	_ "github.com/kserve/kserve/cmd/llmisvc"
	_ "sigs.k8s.io/lws/cmd"
)
