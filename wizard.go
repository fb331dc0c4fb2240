package main

import (
	"context"
	"errors"
)

// runWizard runs the set-up wizard (ui) with the services of steps.
func (a *app) runWizard(ctx context.Context, job wizardJob) error {
	return errors.New("the set-up wizard is not built yet: run 'leversync sync' or 'leversync --demo' without a terminal")
}
