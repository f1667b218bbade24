package meshconfig

import (
	"fmt"
	"strings"
)

// Markdown renders the field and flag tables as README holds them.
func Markdown() string {
	var b strings.Builder
	b.WriteString("| field | since | class | what it does to outbound listeners and routes | Istio source |\n|---|---|---|---|---|\n")
	for _, f := range append(append([]Field{}, Fields...), ProxyFields...) {
		fmt.Fprintf(&b, "| `%s` | %s | %s | %s | %s |\n", f.Name, since(f.Since), f.Kind, cell(f.Why), cell(f.Source))
	}
	b.WriteString("\n| istiod env | since | class | default | what it does to outbound listeners and routes | Istio source |\n|---|---|---|---|---|---|\n")
	for _, f := range Flags {
		fmt.Fprintf(&b, "| `%s` | %s | %s | `%s` | %s | %s |\n", f.Name, since(f.Since), f.Kind, f.Default, cell(f.Why), cell(f.Source))
	}
	return b.String()
}

func since(minor int) string {
	if minor == 0 {
		return "1.24"
	}
	return fmt.Sprintf("1.%d", minor)
}

// cell escapes a table cell's pipes.
func cell(s string) string { return strings.ReplaceAll(s, "|", `\|`) }
