package model

import (
	"context"
	"time"
)

// WithSleep replaces the wait between retries (tests record it instead).
func WithSleep(f func(ctx context.Context, d time.Duration) error) Option {
	return func(c *client) { c.sleep = f }
}
