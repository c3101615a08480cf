# syntax=docker/dockerfile:1
# The one Handoff binary; the subcommand picks the role (serve, worker, migrate).

FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN --mount=type=cache,target=/go/pkg/mod go mod download
COPY . .
# VERSION names the build in `handoff --version` (docker compose passes git describe's).
ARG VERSION=""
RUN --mount=type=cache,target=/go/pkg/mod --mount=type=cache,target=/root/.cache/go-build \
    CGO_ENABLED=0 go build -trimpath -ldflags="-s -w -X main.buildVersion=${VERSION}" -o /out/handoff ./cmd/handoff

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/handoff /usr/local/bin/handoff
USER nonroot:nonroot
EXPOSE 8080
ENTRYPOINT ["/usr/local/bin/handoff"]
CMD ["serve"]
