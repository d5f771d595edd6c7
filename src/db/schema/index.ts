export * from "./organizations";
export * from "./users";
export * from "./sessions";
export * from "./email-tokens";
export * from "./audit-log";
export * from "./dev-emails";
