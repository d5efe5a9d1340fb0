// An in-memory Ipc for UI tests: each test says what the "backend" answers and can read
// back what the UI sent.
import type { AppInfo, Ipc, Result, SignInForm, SignInPlan } from "./ipc";

export const mockAppInfo: AppInfo = {
  name: "Parley",
  version: "0.0.0-test",
  themeOverride: null,
  presets: [
    {
      preset: "sandbox",
      label: "Local sandbox",
      endpoints: {
        chat: "http://127.0.0.1:18080",
        api: "http://127.0.0.1:18080",
        services: "http://127.0.0.1:18080",
        mqtt: "tcp://127.0.0.1:18830",
      },
      unencryptedBroker: false,
    },
    {
      preset: "kommunicate_cloud",
      label: "Kommunicate cloud",
      endpoints: {
        chat: "https://chat.kommunicate.io",
        api: "https://api.kommunicate.io",
        services: "https://services.kommunicate.io",
        mqtt: "tcp://socket.kommunicate.io:1883",
      },
      unencryptedBroker: true,
    },
    { preset: "custom", label: "Custom server", endpoints: null, unencryptedBroker: false },
  ],
};

export interface MockIpc extends Ipc {
  calls: { checkSignIn: SignInForm[]; uiReady: number };
}

export function createMockIpc(
  answers: { checkSignIn?: (form: SignInForm) => Result<SignInPlan>; appInfo?: AppInfo } = {},
): MockIpc {
  const calls = { checkSignIn: [] as SignInForm[], uiReady: 0 };
  return {
    calls,
    appInfo: async () => answers.appInfo ?? mockAppInfo,
    checkSignIn: async (form) => {
      calls.checkSignIn.push(structuredClone(form));
      if (!answers.checkSignIn) throw new Error("mock: checkSignIn not configured");
      return answers.checkSignIn(form);
    },
    uiReady: async () => {
      calls.uiReady += 1;
      return 1;
    },
  };
}
