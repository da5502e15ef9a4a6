//go:build tools

// The node simulator the e2e controller tier builds, listed so `go mod tidy` keeps it.
package tools

import _ "sigs.k8s.io/kwok/cmd/kwok"
