# syntax=docker/dockerfile:1
# Build: a static binary with the content embedded.
FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/sswbot ./cmd/sswbot \
 && /out/sswbot check

# Run: no shell, no package manager, CA certificates for the LINE and
# Telegram APIs, a non-root user.
FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/sswbot /sswbot
USER nonroot:nonroot
EXPOSE 8080
ENV SSWBOT_ADDR=:8080
ENTRYPOINT ["/sswbot"]
CMD ["serve"]
