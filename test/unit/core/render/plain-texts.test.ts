import { describe, expect, it } from 'vitest';
import { EMPTY_ACTION_TEXT, plainRendererFor, plainToolCallText, renderPlainTexts } from '../../../../src/core/render';
import { TAU2_FILE, loadFixture, parseText, trajectoryById } from './fixtures';

// Expected strings are written out by hand from the fixture files and the reference code's rules
// (deeplearning-wisc/progress-advantage, pa/trajectory.py).

describe('plain rendering of the τ²-bench fixture (render_tau2_messages)', () => {
  const simulations = loadFixture(TAU2_FILE);
  const transferSimulation = trajectoryById(simulations, 'ce80f00a-bc8c-48de-81fe-e90622864422');
  const downgradeSimulation = trajectoryById(simulations, 'fbc636fb-cc68-40ae-99e3-a3f136608e26');

  it('renders the first message without a leading newline', () => {
    expect(renderPlainTexts(transferSimulation)[0]).toBe('[assistant]: Hi! How can I help you today?');
  });

  it('appends an assistant’s tool call with Python-dict arguments and strips the whole text', () => {
    // content ends in "\n\n": the strip removes nothing there, the call follows after one more "\n".
    expect(renderPlainTexts(transferSimulation)[2]).toBe(
      "\n[assistant]: Hello James, I'm happy to assist you with your request. However, according to our policy, " +
        "I must inform you that it's not possible to change the number of passengers on a reservation, even to remove one. " +
        'This rule applies to all reservations and cannot be modified, even by a human agent.\n\n' +
        'To proceed, I need to transfer you to a human agent who might be able to provide further assistance or discuss ' +
        'alternative options. Let me arrange that for you.\n\n\n' +
        "tool_call(transfer_to_human_agents, {'summary': 'User James Patel requested to remove a passenger from his " +
        "reservation, which is against policy as the number of passengers cannot be changed.'})",
    );
  });

  it('renders an assistant message with no content as its tool call alone', () => {
    const texts = renderPlainTexts(downgradeSimulation);
    expect(texts[6]).toBe("\n[assistant]: tool_call(get_user_details, {'user_id': 'james_patel_9828'})");
    expect(texts[14]).toBe(
      "\n[assistant]: tool_call(update_reservation_flights, {'reservation_id': 'GV1N64', 'cabin': 'basic_economy', " +
        "'flights': [{'flight_number': 'HAT003', 'date': '2024-05-19'}, {'flight_number': 'HAT290', 'date': '2024-05-20'}], " +
        "'payment_id': 'gift_card_1642017'})",
    );
  });

  it('writes a string argument holding an apostrophe in double quotes, as Python does', () => {
    const simulation = trajectoryById(simulations, '9ea810f0-f976-4178-a866-45b0441997d8');
    expect(renderPlainTexts(simulation)[22]).toBe(
      '\n[assistant]: tool_call(transfer_to_human_agents, {\'summary\': "Ivan Rossi (user ID: ivan_rossi_8555) is ' +
        'requesting to modify reservation OWZ4XL from EWR to LAX on May 21, 2024, to a nonstop flight due to a family ' +
        "emergency (mother's health). The reservation is in basic economy, which per policy cannot be modified. Ivan is " +
        'willing to upgrade to economy class, but policy still does not allow changes. He is disappointed and requests to ' +
        'speak with a human agent to explore other options."})',
    );
  });

  it('writes integers, nested lists and dicts of a booking as Python does', () => {
    const simulation = trajectoryById(simulations, '57dae868-c146-49bd-9340-e0d30c10305b');
    expect(renderPlainTexts(simulation)[30]).toBe(
      "\n[assistant]: Thank you for your confirmation, Mia. I'm proceeding with the booking of your reservation with the " +
        'details provided.\n\n\n' +
        "tool_call(book_reservation, {'user_id': 'mia_kim_4397', 'origin': 'EWR', 'destination': 'LAX', " +
        "'flight_type': 'round_trip', 'cabin': 'basic_economy', 'flights': [{'flight_number': 'HAT041', 'date': '2024-05-20'}, " +
        "{'flight_number': 'HAT012', 'date': '2024-05-25'}], 'passengers': [{'first_name': 'Mia', 'last_name': 'Kim', " +
        "'dob': '1965-06-09'}], 'payment_methods': [{'payment_id': 'gift_card_7359776', 'amount': 39}, " +
        "{'payment_id': 'gift_card_7773485', 'amount': 124}], 'total_baggages': 1, 'nonfree_baggages': 0, 'insurance': 'no'})",
    );
  });

  it('renders tool and user messages as they are', () => {
    const texts = renderPlainTexts(transferSimulation);
    expect(texts[3]).toBe('\n[tool]: Transfer successful');
    expect(texts[5]).toBe('\n[user]: ###TRANSFER###');
    expect(renderPlainTexts(downgradeSimulation)[7].startsWith('\n[tool]: {"user_id": "james_patel_9828", "name": {"first_name": "James"')).toBe(
      true,
    );
  });

  it('gives one text per message, every one after the first starting with a newline', () => {
    for (const simulation of simulations) {
      const texts = renderPlainTexts(simulation);
      expect(texts).toHaveLength(simulation.messages.length);
      expect(texts[0].startsWith('[')).toBe(true);
      for (const text of texts.slice(1)) expect(text.startsWith('\n[')).toBe(true);
    }
  });
});

describe('plain rendering of τ²-bench edge cases (render_tau2_messages)', () => {
  const [trajectory] = parseText(
    'synthetic-tau2.json',
    JSON.stringify({
      simulations: [
        {
          id: 'synthetic',
          task_id: 'edge',
          trial: 0,
          reward_info: { reward: 1 },
          messages: [
            {
              role: 'user',
              content: 'Please toggle airplane mode.',
              tool_calls: [{ id: 'u1', name: 'toggle_airplane_mode', arguments: {}, requestor: 'user' }],
            },
            { role: 'tool', id: 'u1', content: 'Airplane mode is now OFF.' },
            { role: 'assistant', content: null, tool_calls: null },
            { role: 'assistant', content: '  \n Done. \t', tool_calls: null },
            {
              role: 'assistant',
              content: '',
              tool_calls: [
                {
                  id: 'c1',
                  name: 'calculate',
                  arguments: { expression: '2 * 3.5', precision: 2, exact: false, unit: null, ratio: 0.25, tags: ['a', "b's"] },
                  requestor: 'assistant',
                },
              ],
            },
            {
              role: 'assistant',
              content: 'Checking both.',
              tool_calls: [
                { id: 'c2', name: 'first', arguments: {}, requestor: 'assistant' },
                { id: 'c3', name: 'second', arguments: { x: 1e-7 }, requestor: 'assistant' },
              ],
            },
            { role: 'user', content: ' spaces around  ' },
            { role: 'assistant', content: '\u001c\u0085 Really done.\u00a0\ufeff', tool_calls: null },
          ],
        },
      ],
    }),
  );

  it('uses the τ²-bench renderer', () => {
    expect(plainRendererFor(trajectory)).toBe('tau2');
  });

  it('leaves out a user’s own tool calls', () => {
    expect(renderPlainTexts(trajectory)[0]).toBe('[user]: Please toggle airplane mode.');
    expect(renderPlainTexts(trajectory)[1]).toBe('\n[tool]: Airplane mode is now OFF.');
  });

  it('writes [assistant action] for an assistant message with neither text nor calls', () => {
    expect(EMPTY_ACTION_TEXT).toBe('[assistant action]');
    expect(renderPlainTexts(trajectory)[2]).toBe('\n[assistant]: [assistant action]');
  });

  it('strips an assistant’s text but not a user’s', () => {
    expect(renderPlainTexts(trajectory)[3]).toBe('\n[assistant]: Done.');
    expect(renderPlainTexts(trajectory)[6]).toBe('\n[user]:  spaces around  ');
  });

  it('strips what Python’s str.strip() strips, not what String.prototype.trim does', () => {
    // U+001C and U+0085 are Python whitespace; U+FEFF is not, so the U+00A0 before it stays too.
    expect(renderPlainTexts(trajectory)[7]).toBe('\n[assistant]: Really done.\u00a0\ufeff');
  });

  it('writes booleans, None, floats and quoted strings in the arguments as Python does', () => {
    expect(renderPlainTexts(trajectory)[4]).toBe(
      "\n[assistant]: tool_call(calculate, {'expression': '2 * 3.5', 'precision': 2, 'exact': False, 'unit': None, " +
        `'ratio': 0.25, 'tags': ['a', "b's"]})`,
    );
  });

  it('joins several calls with newlines after the text', () => {
    expect(renderPlainTexts(trajectory)[5]).toBe("\n[assistant]: Checking both.\ntool_call(first, {})\ntool_call(second, {'x': 1e-07})");
  });

  it('writes an argument string that is not a JSON object as it is, as Python’s f-string writes a str', () => {
    expect(plainToolCallText({ name: 'run', arguments: {}, rawArguments: 'ls -la {' })).toBe('tool_call(run, ls -la {)');
    expect(plainToolCallText({ name: 'run', arguments: { cmd: 'ls' }, rawArguments: '{"cmd": "ls"}' })).toBe("tool_call(run, {'cmd': 'ls'})");
    expect(plainToolCallText({ name: 'noop', arguments: {}, rawArguments: '{}' })).toBe('tool_call(noop, {})');
  });
});

describe('plain rendering of Who&When (render_fa_messages)', () => {
  it('Algorithm-Generated: role strings as written, no stripping', () => {
    const [log] = loadFixture('who_and_when/Algorithm-Generated/1.json');
    expect(plainRendererFor(log)).toBe('failure-attribution');
    const texts = renderPlainTexts(log);
    expect(texts[0].startsWith('[assistant]: You are given: (1) a task and advises from your manager with a specific plan')).toBe(true);
    // The source's trailing space stays: this renderer does not strip assistant text.
    expect(texts[0].endsWith('print(num_even_address_clients)\n``` ')).toBe(true);
    expect(texts[1]).toBe(
      "\n[user]: exitcode: 0 (execution succeeded)\nCode output: Index(['ID', 'First Name', 'Last Name', 'Street Address', 'City', 'Zip',\n" +
        "       'Phone', 'Email', 'Carrier Pigeon'],\n      dtype='object')\n4\n",
    );
  });

  it('Hand-Crafted: agent labels as roles', () => {
    const [log] = loadFixture('who_and_when/Hand-Crafted/1.json');
    const texts = renderPlainTexts(log);
    expect(texts[0]).toBe(
      '[human]: Where can I take martial arts classes within a five-minute walk from the New York Stock Exchange after work (7-9 pm)?\n',
    );
    expect(texts[2].startsWith('\n[Orchestrator (thought)]: Updated Ledger:\n{\n  "is_request_satisfied": {\n')).toBe(true);
    expect(texts[3]).toBe(
      '\n[Orchestrator (-> WebSurfer)]: Please search for martial arts schools or studios near the New York Stock Exchange ' +
        'and provide a list of their names and addresses.',
    );
    expect(texts[4].startsWith("\n[WebSurfer]: I typed 'martial arts schools near the New York Stock Exchange' into")).toBe(true);
  });

  it('writes an empty assistant message as an empty body, not [assistant action]', () => {
    const [log] = parseText(
      'synthetic-who-and-when.json',
      JSON.stringify({
        history: [
          { content: 'What is 2 + 2?', role: 'user', name: 'Asker' },
          { content: '', role: 'assistant', name: 'Solver' },
          { content: '  4  ', role: 'assistant', name: 'Solver' },
        ],
        mistake_step: '1',
        mistake_agent: 'Solver',
      }),
    );
    expect(renderPlainTexts(log)).toEqual(['[user]: What is 2 + 2?', '\n[assistant]: ', '\n[assistant]:   4  ']);
  });
});
