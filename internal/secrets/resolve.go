package secrets

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/handoffhq/handoff/postgres"
)

// Errors a Resolver returns (wrapped). All three are permanent: retrying cannot fix them.
var (
	ErrUnknown    = errors.New("unknown secret")
	ErrNoKey      = errors.New("secret is stored but HANDOFF_SECRETS_KEY is not set")
	ErrUnreadable = errors.New("stored secret cannot be decrypted with HANDOFF_SECRETS_KEY")
)

// Store is where sealed secrets live: *postgres.DB.
type Store interface {
	Secret(ctx context.Context, name string) ([]byte, error)
}

// Resolver turns a secret name into its value: first the environment variable
// EnvName(name), then the store. Resolve only inside activities: a value must never enter
// workflow code, history, logs or API responses.
type Resolver struct {
	// LookupEnv reads the environment (os.LookupEnv); nil skips the environment.
	LookupEnv func(string) (string, bool)
	// Store holds sealed secrets; nil skips the store.
	Store Store
	// Box opens stored secrets; nil means stored secrets cannot be read.
	Box *Box
}

// EnvName is the environment variable that holds the secret name: HANDOFF_SECRET_ and
// the name upper-cased, every character other than a letter or digit replaced by '_'.
func EnvName(name string) string {
	var b strings.Builder
	b.WriteString("HANDOFF_SECRET_")
	for _, r := range strings.ToUpper(name) {
		if (r >= 'A' && r <= 'Z') || (r >= '0' && r <= '9') {
			b.WriteRune(r)
		} else {
			b.WriteByte('_')
		}
	}
	return b.String()
}

// Resolve returns the value of the secret name. Errors name the secret, never a value.
func (r *Resolver) Resolve(ctx context.Context, name string) (string, error) {
	if !ValidName(name) {
		return "", fmt.Errorf("resolve secret %q: %w (a name %s)", name, ErrUnknown, NameRule)
	}
	if r.LookupEnv != nil {
		if v, ok := r.LookupEnv(EnvName(name)); ok {
			return v, nil
		}
	}
	if r.Store == nil {
		return "", fmt.Errorf("resolve secret %s: %w (set %s)", name, ErrUnknown, EnvName(name))
	}
	sealed, err := r.Store.Secret(ctx, name)
	if errors.Is(err, postgres.ErrNotFound) {
		return "", fmt.Errorf("resolve secret %s: %w (set it with `handoff secrets set %s` or %s)",
			name, ErrUnknown, name, EnvName(name))
	}
	if err != nil {
		return "", fmt.Errorf("resolve secret %s: %w", name, err)
	}
	if r.Box == nil {
		return "", fmt.Errorf("resolve secret %s: %w", name, ErrNoKey)
	}
	v, err := r.Box.Open(name, sealed)
	if err != nil {
		return "", fmt.Errorf("resolve secret %s: %w", name, ErrUnreadable)
	}
	return string(v), nil
}

// Permanent reports whether err from Resolve cannot be fixed by retrying.
func Permanent(err error) bool {
	return errors.Is(err, ErrUnknown) || errors.Is(err, ErrNoKey) || errors.Is(err, ErrUnreadable)
}
