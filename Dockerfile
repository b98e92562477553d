# inferno: compiled with tsc (type-checked), run by plain node as a non-root user.
FROM node:20-bookworm-slim AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build

FROM node:20-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts && npm cache clean --force
COPY --from=build /src/dist ./dist
COPY samples ./samples
COPY deploy/base/config.yaml ./deploy/base/config.yaml
USER 65532:65532
EXPOSE 8443
ENTRYPOINT ["node", "dist/cli/entry.js"]
CMD ["serve"]
