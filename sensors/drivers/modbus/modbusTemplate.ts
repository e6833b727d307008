import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';

/**
 * Modbus meter templates: one JSON file per meter model, holding the model's
 * register map and factory serial settings, so that a new model is a data file
 * and not code. Built-in templates live in ./templates; a volunteer may add a
 * folder of their own. Every file is validated once, here, and every problem in
 * every file is listed together.
 */

/** Reading fields that hold cumulative energy (ARCHITECTURE.md "A reading"). */
export const ENERGY_FIELDS = ['importWh', 'exportWh', 'generationWh', 'consumptionWh'] as const;
export type EnergyField = (typeof ENERGY_FIELDS)[number];
export const REGISTER_FIELDS = [...ENERGY_FIELDS, 'powerW'] as const;
export type RegisterField = (typeof REGISTER_FIELDS)[number];

/** Rates an RS485 meter may use; anything else in a template is a typo. */
const BAUD_RATES = [1200, 2400, 4800, 9600, 19200, 38400, 57600, 115200] as const;

function got(value: unknown): string {
  return JSON.stringify(value) ?? String(value);
}

/** Message for a wrong or missing value. */
const expected = (what: string) => (issue: { input?: unknown }) =>
  issue.input === undefined ? `is missing; must be ${what}` : `must be ${what} (got ${got(issue.input)})`;

/** Datasheets print register addresses in hex, so "0x0048" is accepted as well as 72. */
const fromHex = (value: unknown) => (typeof value === 'string' && /^0x[0-9a-f]+$/i.test(value) ? Number.parseInt(value, 16) : value);

const registerAddress = z.preprocess(
  fromHex,
  z
    .number({ error: expected('a register address 0–65535, decimal or "0x…" hex') })
    .int({ error: expected('a whole register address') })
    .min(0, { error: (i) => `must be 0–65535 (got ${got(i.input)})` })
    .max(65535, { error: (i) => `must be 0–65535 (got ${got(i.input)})` }),
);

/** 3: read holding registers; 4: read input registers (Modbus Application Protocol v1.1b3 §6.3, §6.4). */
const functionCode = z.literal([3, 4], { error: expected('3 (holding registers) or 4 (input registers)') });

const source = z.string({ error: expected('the datasheet or document these values come from') }).min(1, { error: 'must name the datasheet or document these values come from' });

const objectOf = (what: string, allowed: string) => (issue: { code?: string; keys?: string[]; input?: unknown }) =>
  issue.code === 'unrecognized_keys'
    ? `unknown field ${(issue.keys ?? []).map((k) => `"${k}"`).join(', ')}; allowed: ${allowed}`
    : expected(what)(issue);

const registerSpec = z.strictObject(
  {
    functionCode,
    address: registerAddress,
    /** 32-bit types span two registers. */
    type: z.enum(['float32', 'uint32', 'int32', 'uint16', 'int16'], { error: expected('one of float32, uint32, int32, uint16, int16') }),
    /** Modbus fixes the byte order inside a register, not the order of the two registers of a 32-bit value. */
    wordOrder: z.enum(['high-first', 'low-first'], { error: expected('"high-first" or "low-first"') }).default('high-first'),
    /** Multiplies the decoded value into Wh (energy) or W (power): 1000 for a kWh register. */
    scale: z
      .number({ error: expected('a number that turns the register value into Wh or W, e.g. 1000 for kWh') })
      .positive({ error: (i) => `must be > 0 (got ${got(i.input)})` }),
    source: source.optional(),
  },
  { error: objectOf('a register object', 'functionCode, address, type, wordOrder, scale, source') },
);

const idRegister = {
  functionCode,
  address: registerAddress,
  type: z.enum(['uint16', 'uint32'], { error: expected('"uint16" or "uint32"') }),
};

export const modbusTemplateSchema = z
  .strictObject(
    {
      model: z
        .string({ error: expected('the model name, e.g. "SDM630"') })
        .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,39}$/, { error: (i) => `must be 1–40 letters, digits, ".", "_" or "-" (got ${got(i.input)})` }),
      description: z.string({ error: expected('a short description of the meter') }).min(1, { error: 'must not be empty' }),
      source,
      /** The meter's factory settings; a bus may override baud rate and parity. */
      serialPort: z.strictObject(
        {
          baudRate: z.literal(BAUD_RATES, { error: expected(`one of ${BAUD_RATES.join(', ')}`) }),
          parity: z.enum(['none', 'even', 'odd'], { error: expected('"none", "even" or "odd"') }),
          dataBits: z.literal([7, 8], { error: expected('7 or 8') }).default(8),
          stopBits: z.literal([1, 2], { error: expected('1 or 2') }).default(1),
        },
        { error: objectOf('an object of serial settings', 'baudRate, parity, dataBits, stopBits') },
      ),
      registers: z
        .strictObject(
          {
            importWh: registerSpec.optional(),
            exportWh: registerSpec.optional(),
            generationWh: registerSpec.optional(),
            consumptionWh: registerSpec.optional(),
            powerW: registerSpec.optional(),
          },
          { error: objectOf('an object of registers', REGISTER_FIELDS.join(', ')) },
        )
        .refine((r) => ENERGY_FIELDS.some((name) => r[name] !== undefined), {
          error: `needs at least one energy register: ${ENERGY_FIELDS.join(', ')}`,
        }),
      /** Read once per meter and sent as the reading's `serial`: a new serial tells the hub the meter was replaced. */
      serialNumber: z
        .strictObject({ ...idRegister, source: source.optional() }, { error: objectOf('a register object', 'functionCode, address, type, source') })
        .optional(),
      /** A register whose value names the model, so `commonwatt sensor detect` can tell look-alike meters apart. */
      identify: z
        .strictObject(
          {
            ...idRegister,
            equals: z.preprocess(
              fromHex,
              z
                .number({ error: expected('the value that identifies this model, decimal or "0x…" hex') })
                .int({ error: expected('a whole number') })
                .min(0, { error: (i) => `must be ≥ 0 (got ${got(i.input)})` }),
            ),
            source,
          },
          { error: objectOf('a register object', 'functionCode, address, type, equals, source') },
        )
        .optional(),
    },
    { error: objectOf('a template object', 'model, description, source, serialPort, registers, serialNumber, identify') },
  )
  .superRefine((t, ctx) => {
    const spans: Array<{ name: string; functionCode: number; from: number; to: number }> = [];
    for (const name of REGISTER_FIELDS) {
      const spec = t.registers[name];
      if (!spec) continue;
      const to = spec.address + registerWords(spec.type) - 1;
      if (to > 65535) {
        ctx.addIssue({ code: 'custom', path: ['registers', name, 'address'], message: `a ${spec.type} at ${hex(spec.address)} runs past register 0xFFFF` });
        continue;
      }
      const clash = spans.find((s) => s.functionCode === spec.functionCode && s.from <= to && spec.address <= s.to);
      if (clash) {
        ctx.addIssue({
          code: 'custom',
          path: ['registers', name, 'address'],
          message: `overlaps registers.${clash.name} (${hex(clash.from)}–${hex(clash.to)}, function ${clash.functionCode})`,
        });
      }
      spans.push({ name, functionCode: spec.functionCode, from: spec.address, to });
    }
    if (t.identify && t.identify.type === 'uint16' && t.identify.equals > 0xffff) {
      ctx.addIssue({ code: 'custom', path: ['identify', 'equals'], message: `must fit a uint16, 0–65535 (got ${t.identify.equals})` });
    }
    if (t.identify && t.identify.equals > 0xffffffff) {
      ctx.addIssue({ code: 'custom', path: ['identify', 'equals'], message: `must fit a uint32 (got ${t.identify.equals})` });
    }
  });

export type ModbusRegisterSpec = z.output<typeof registerSpec>;
export type ModbusTemplateData = z.output<typeof modbusTemplateSchema>;
export type SerialParity = ModbusTemplateData['serialPort']['parity'];

export interface ModbusTemplate extends Readonly<ModbusTemplateData> {
  /** The file the template was read from, for messages. */
  readonly file: string;
}

/** Model name (lower case) → template. */
export type ModbusTemplates = ReadonlyMap<string, ModbusTemplate>;

/** Every problem found in every template file, one per line in the message. */
export class ModbusTemplateError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`Invalid Modbus meter templates; fix or remove these files:\n  ${problems.join('\n  ')}`);
    this.name = 'ModbusTemplateError';
  }
}

export function registerWords(type: ModbusRegisterSpec['type']): 1 | 2 {
  return type === 'uint16' || type === 'int16' ? 1 : 2;
}

export function hex(address: number): string {
  return `0x${address.toString(16).toUpperCase().padStart(4, '0')}`;
}

/**
 * Validates one template. `fileName` prefixes every problem and must match the
 * model (sdm630.json holds model "SDM630"), so a config's `template: "sdm630"`
 * names both the file and the model.
 */
export function parseModbusTemplate(input: unknown, fileName: string, file = fileName): { template: ModbusTemplate | null; problems: string[] } {
  const result = modbusTemplateSchema.safeParse(input);
  if (!result.success) {
    const problems = result.error.issues.map((issue) => `${fileName}: ${issue.path.length > 0 ? `${issue.path.join('.')}: ` : ''}${issue.message}`);
    return { template: null, problems };
  }
  const expectedModel = basename(fileName, '.json');
  if (result.data.model.toLowerCase() !== expectedModel.toLowerCase()) {
    return {
      template: null,
      problems: [`${fileName}: model: must match the file name "${expectedModel}" (got ${got(result.data.model)}); rename the file or the model`],
    };
  }
  return { template: deepFreeze({ ...result.data, file }), problems: [] };
}

/**
 * The built-in templates folder. tsc does not copy JSON files into dist/, so a
 * compiled build reads them from the source tree, which ships in the package.
 */
export function builtInTemplateDir(): string {
  const here = fileURLToPath(new URL('./templates/', import.meta.url));
  if (existsSync(here)) return here;
  return fileURLToPath(new URL('../../../../sensors/drivers/modbus/templates/', import.meta.url));
}

/** Loads the built-in templates and those in `extraDir`; throws a ModbusTemplateError listing every problem. */
export async function loadModbusTemplates(options: { extraDir?: string; builtInDir?: string } = {}): Promise<ModbusTemplates> {
  const problems: string[] = [];
  const templates = new Map<string, ModbusTemplate>();
  const dirs = [options.builtInDir ?? builtInTemplateDir(), ...(options.extraDir === undefined ? [] : [options.extraDir])];
  for (const dir of dirs) {
    let names: string[];
    try {
      names = (await readdir(dir)).filter((n) => n.endsWith('.json')).sort();
    } catch (error) {
      problems.push(`${dir}: cannot read this template folder (${(error as Error).message}); check the path`);
      continue;
    }
    for (const name of names) {
      const file = join(dir, name);
      let json: unknown;
      try {
        json = JSON.parse(await readFile(file, 'utf8'));
      } catch (error) {
        problems.push(`${name}: not valid JSON (${(error as Error).message}); fix the file or remove it`);
        continue;
      }
      const parsed = parseModbusTemplate(json, name, file);
      problems.push(...parsed.problems);
      if (!parsed.template) continue;
      const key = parsed.template.model.toLowerCase();
      const existing = templates.get(key);
      if (existing) {
        problems.push(`${name}: model: ${parsed.template.model} is already defined by ${existing.file}; give this model another name`);
        continue;
      }
      templates.set(key, parsed.template);
    }
  }
  if (problems.length > 0) throw new ModbusTemplateError(problems);
  return templates;
}

/** The template a configuration names (case-insensitive), or an error listing the known ones. */
export function findModbusTemplate(templates: ModbusTemplates, name: string): ModbusTemplate {
  const template = templates.get(name.toLowerCase());
  if (template) return template;
  const known = [...templates.values()].map((t) => t.model).join(', ');
  throw new Error(`No Modbus template "${name}"; known models: ${known}. Add a template file for a new model or fix the name.`);
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value as Record<string, unknown>)) deepFreeze(child);
  }
  return value;
}
