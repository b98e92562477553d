# inferno: compiled with tsc (type-checked) on Node 24 LTS, run by plain node from a distroless image: no shell, no
# npm, no tsx in what ships, as a non-root user. test/unit/deploy/manifests.test.ts checks these rules.
FROM node:24-bookworm-slim AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build

# Production dependencies only. tsx runs the TypeScript sources in development; the image runs dist/, so it goes
# (a no-op once tsx is a devDependency).
FROM node:24-bookworm-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts && npm uninstall --no-save --ignore-scripts tsx && npm cache clean --force

FROM gcr.io/distroless/nodejs24-debian12:nonroot
WORKDIR /app
ENV NODE_ENV=production
COPY --from=deps /app/package.json ./package.json
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /src/dist ./dist
COPY samples ./samples
COPY deploy/base/config.yaml ./deploy/base/config.yaml
USER 65532:65532
EXPOSE 8443
ENTRYPOINT ["/nodejs/bin/node", "dist/cli/entry.js"]
CMD ["serve"]
