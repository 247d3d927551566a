package deploy

import (
	"context"
	"fmt"
	"os/exec"
)

func Checkout(ctx context.Context, branch string) error {
	// ruleid: idp.go.exec-command-injection
	if err := exec.Command("sh", "-c", "git checkout "+branch).Run(); err != nil {
		return err
	}
	// ruleid: idp.go.exec-command-injection
	cmd := exec.CommandContext(ctx, "/bin/bash", "-c", fmt.Sprintf("git pull origin %s", branch))
	// ok: idp.go.exec-command-injection
	safe := exec.Command("git", "checkout", branch)
	// ok: idp.go.exec-command-injection
	status := exec.Command("sh", "-c", "git status --short")
	_ = safe
	_ = status
	return cmd.Run()
}
