package minimal

import (
	"crypto/subtle"
	"encoding/json"
	"net/http"

	"go.temporal.io/sdk/client"
)

// API is the least HTTP service that lets a person complete a task of a minimal run:
// POST /complete/{run}/{step} with the form data as JSON, a bearer token, and an
// answer once the run has taken the data (200), or the run's refusal (422). It keeps
// no directory, no inbox and no keys beyond one shared token.
func API(tc client.Client, token, actor string) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /complete/{run}/{step}", func(w http.ResponseWriter, r *http.Request) {
		if subtle.ConstantTimeCompare([]byte(r.Header.Get("Authorization")), []byte("Bearer "+token)) != 1 {
			http.Error(w, "unauthorised", http.StatusUnauthorized)
			return
		}
		var data map[string]any
		if err := json.NewDecoder(r.Body).Decode(&data); err != nil {
			http.Error(w, "the body must be a JSON object", http.StatusBadRequest)
			return
		}
		h, err := tc.UpdateWorkflow(r.Context(), client.UpdateWorkflowOptions{
			WorkflowID: r.PathValue("run"), UpdateName: UpdateComplete, WaitForStage: client.WorkflowUpdateStageCompleted,
			Args: []any{Completion{Step: r.PathValue("step"), Actor: actor, Data: data}},
		})
		if err == nil {
			err = h.Get(r.Context(), nil)
		}
		if err != nil {
			http.Error(w, err.Error(), http.StatusUnprocessableEntity)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"done":true}` + "\n"))
	})
	return mux
}
