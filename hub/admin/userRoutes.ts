import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { UserCommands } from '../auth/userCommands.js';

/** User management on the CLI's loopback admin API, so a running hub stays the only writer of users.json. */
export const USER_ROUTES = { users: '/api/admin/users', user: '/api/admin/users/:username' } as const;

const addUserBody = z.strictObject({ username: z.string(), role: z.string(), displayName: z.string().nullable().optional(), password: z.string() });

export function registerUserRoutes(app: FastifyInstance, commands: UserCommands): void {
  app.get(USER_ROUTES.users, () => commands.listUsers());
  app.post<{ Body: unknown }>(USER_ROUTES.users, (request) => commands.addUser(addUserBody.parse(request.body)));
  app.delete<{ Params: { username: string } }>(USER_ROUTES.user, (request) => commands.removeUser(request.params.username));
}
