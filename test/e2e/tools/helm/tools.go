//go:build tools

// The command the chart tier builds from another module, listed so `go mod tidy` keeps it.
package tools

import _ "helm.sh/helm/v3/cmd/helm"
